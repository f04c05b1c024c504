import { AppError, isLive, isValidPermission, MANAGEMENT_PERMISSIONS, type MintPlan } from '@tokenward/core';
import { findIdentityById, findTokenById, listTokens, type Store, spendToken } from '@tokenward/store';
import type { AccessIssuer, ActClaim } from './access-issuer.js';
import type { AuditService } from './audit.service.js';
import type { KeyRing } from './key-ring.js';
import type { RequestMeta } from './request-meta.js';
import type { RoleCatalog } from './role-catalog.js';
import { type TokenService, targetOf } from './token.service.js';
import type { Principal, TokenEntry, Verifier } from './verifier.js';

const INACTIVE = JSON.stringify({ active: false });

const DAY = 86_400_000;

/** Seed 004's token types with their numeric aliases (0 DEFAULT, 1 MS_SCIM, 2 ALL, 3 CUSTOM, 4 OneTouch). */
export const TOKEN_TYPES = ['DEFAULT', 'MS_SCIM', 'ALL', 'CUSTOM', 'OneTouch'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export function parseTokenType(value: unknown): TokenType | null {
  if (value === undefined || value === null || value === '') return 'ALL';
  if (typeof value === 'number' || (typeof value === 'string' && /^\d$/.test(value))) {
    return TOKEN_TYPES[Number(value)] ?? null;
  }
  if (typeof value !== 'string') return null;
  return TOKEN_TYPES.find((t) => t.toLowerCase() === value.trim().toLowerCase()) ?? null;
}

export interface AccessTokenRequest {
  tokenName: string;
  tokenType?: unknown;
  renewableUntilTimestamp?: number;
  apiEndpoints?: string[];
  tokenExpiryTimestamp?: number;
}

export interface TokenInfo {
  accessTokenId: number;
  tokenName: string;
  userId: number;
  tokenExpiryTimestamp: number;
  accessToken: string;
  refreshToken: string;
  refreshTokenExpiryTimestamp: number;
  renewableUntilTimestamp: number;
}

export interface RefreshResult {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  accessToken: string;
  refreshToken: string;
  tokenExpiryTimestamp: number;
  refreshTokenExpiryTimestamp: number;
}

export interface Lifetimes {
  accessTtlMs: number;
  delegationTtlMs: number;
  refreshDefaultMs: number;
  refreshMaxMs: number;
}

const SCIM_ENDPOINTS = ['* /scim/v2/*'];
const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * Token protocol flows: seed 004's access-token API, refresh rotation, RFC 7662 introspection,
 * RFC 7009 revocation and RFC 8693 exchange.
 */
export class ProtocolService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly verifier: Verifier,
    private readonly issuer: AccessIssuer,
    private readonly keys: KeyRing,
    private readonly roles: RoleCatalog,
    private readonly audit: AuditService,
    private readonly clock: () => number,
    private readonly life: Lifetimes,
  ) {}

  /** Absolute epoch-seconds timestamp → ms; 0 or absent → default; beyond the maximum → 400. */
  private until(timestampS: number | undefined, defaultMs: number, maxMs: number, field: string): number {
    const now = this.clock();
    if (timestampS === undefined || timestampS === 0) return now + defaultMs;
    const ms = timestampS * 1000;
    if (ms <= now) throw new AppError('expiration_in_past', `${field} must be in the future.`);
    if (ms > now + maxMs + 60_000) {
      throw new AppError(
        'lifetime_exceeded',
        `${field} is beyond the maximum of ${Math.round(maxMs / DAY)} days.`,
      );
    }
    return ms;
  }

  /** Seed 004: POST /api/v4/accesstoken. */
  async createAccessToken(caller: Principal, req: AccessTokenRequest, meta: RequestMeta): Promise<TokenInfo> {
    const type = parseTokenType(req.tokenType);
    if (!type)
      throw new AppError(
        'invalid_request',
        'tokenType must be DEFAULT, MS_SCIM, ALL, CUSTOM, OneTouch or 0–4.',
      );
    const me = caller.identity;
    const identity = { id: me.id, name: me.name, roles: me.roles };
    const target = { ...identity, source: me.source };
    // Every token made here is minted by the presented credential: revoking it revokes them.
    const parentId = caller.token?.id ?? null;
    let info: TokenInfo;
    if (type === 'MS_SCIM' || type === 'OneTouch') {
      const plan = this.tokens.plan(caller.authority, 'v4', target, {
        ...(type === 'MS_SCIM' ? { endpoints: SCIM_ENDPOINTS } : {}),
      });
      const [defaultMs, maxMs] = type === 'MS_SCIM' ? [30 * DAY, 365 * DAY] : [7 * DAY, 14 * DAY];
      const expiresAtMs = this.until(req.tokenExpiryTimestamp, defaultMs, maxMs, 'tokenExpiryTimestamp');
      const issued = await this.issuer.issueOpaque({
        identity,
        plan,
        ttlMs: expiresAtMs - this.clock(),
        parentId,
        name: req.tokenName,
        subtype: type,
        createdBy: me.id,
      });
      info = {
        accessTokenId: issued.row.id,
        tokenName: req.tokenName,
        userId: identity.id,
        tokenExpiryTimestamp: seconds(issued.expiresAtMs),
        accessToken: issued.token,
        refreshToken: '',
        refreshTokenExpiryTimestamp: 0,
        renewableUntilTimestamp: 0,
      };
    } else {
      if (type === 'CUSTOM' && (!req.apiEndpoints || req.apiEndpoints.length === 0)) {
        throw new AppError('invalid_endpoint_pattern', 'A CUSTOM token needs apiEndpoints.');
      }
      const plan = this.tokens.plan(caller.authority, 'v4', target, {
        ...(type === 'CUSTOM' ? { endpoints: req.apiEndpoints } : {}),
      });
      const renewableUntilMs = this.until(
        req.renewableUntilTimestamp,
        this.life.refreshDefaultMs,
        this.life.refreshMaxMs,
        'renewableUntilTimestamp',
      );
      const refresh = await this.tokens.createOpaque('refresh', {
        identityId: identity.id,
        plan,
        expiresAtMs: renewableUntilMs,
        name: req.tokenName,
        description: '',
        createdBy: me.id,
        parentId,
        subtype: type,
      });
      const access = await this.issuer.issueJwt({
        identity,
        plan,
        ttlMs: Math.min(this.life.accessTtlMs, renewableUntilMs - this.clock()),
        parentId: refresh.row.id,
        familyId: refresh.row.id,
        name: req.tokenName,
        subtype: type,
        createdBy: me.id,
      });
      info = {
        accessTokenId: refresh.row.id,
        tokenName: req.tokenName,
        userId: identity.id,
        tokenExpiryTimestamp: seconds(access.expiresAtMs),
        accessToken: access.token,
        refreshToken: refresh.value,
        refreshTokenExpiryTimestamp: seconds(renewableUntilMs),
        renewableUntilTimestamp: seconds(renewableUntilMs),
      };
    }
    await this.audit.record({
      action: 'token.grant',
      actor: me,
      targetType: 'token',
      targetId: info.accessTokenId,
      ip: meta.ip,
      details: { kind: 'access', tokenType: type, roles: caller.roles },
    });
    return info;
  }

  /** The caller's seed-004 tokens: one entry per grant (refresh family or opaque token). */
  async listAccessTokens(caller: Principal, f: { limit: number; offset: number }) {
    const { rows, total } = await listTokens(this.store.db, {
      identityId: caller.identity.id,
      kinds: ['refresh', 'access'],
      subtypes: TOKEN_TYPES,
      familyRootsOnly: true,
      nowMs: this.clock(),
      limit: f.limit,
      offset: f.offset,
    });
    const items = rows.map((r) => ({
      accessTokenId: r.id,
      tokenName: r.name,
      tokenType: r.subtype ?? 'ALL',
      userId: r.identity_id,
      ...this.tokens.view(r, undefined),
    }));
    return { items, total, limit: f.limit, offset: f.offset };
  }

  async deleteAccessToken(caller: Principal, id: number, meta: RequestMeta): Promise<void> {
    const row = await findTokenById(this.store.db, id);
    if (
      !row ||
      row.identity_id !== caller.identity.id ||
      row.subtype === null ||
      !['refresh', 'access'].includes(row.kind)
    ) {
      throw new AppError('not_found', 'The access token was not found.');
    }
    await this.tokens.revokeTree(row, caller.identity, meta);
  }

  /**
   * Rotates a refresh token: the presented one is spent (one atomic update) and a new access +
   * refresh pair is issued. A spent token presented again means it leaked: the whole family is
   * revoked and the event audited.
   */
  async refresh(value: string, meta: RequestMeta): Promise<RefreshResult> {
    const entry = await this.verifier.lookup(value);
    if (entry?.kind !== 'refresh') throw new AppError('unauthenticated', 'The refresh token is not valid.');
    const row = await findTokenById(this.store.db, entry.id);
    const now = this.clock();
    // Spent is decided below, by one atomic update: a spent token presented again is a replay.
    if (!row || !isLive({ revoked: row.revoked === 1, spent: false, expiresAtMs: row.expires_at_ms }, now)) {
      throw new AppError('unauthenticated', 'The refresh token is not valid.');
    }
    const familyId = row.family_id ?? row.id;
    if (!(await spendToken(this.store.db, row.id, now))) {
      const root = (await findTokenById(this.store.db, familyId)) ?? row;
      const revoked = await this.tokens.revokeTree(root, null, meta, 'token.refresh_reuse');
      // A concurrent rotation may have committed new family members while that transaction ran
      // (it re-checks the root after issuing; this second pass catches what it issued before).
      await this.tokens.revokeTree(root, null, meta, 'token.refresh_reuse');
      await this.audit.record({
        action: 'token.refresh_reuse',
        outcome: 'failure',
        actor: { id: row.identity_id, name: null },
        targetType: 'token',
        targetId: familyId,
        ip: meta.ip,
        details: {
          reason: 'a spent refresh token was presented again; its family was revoked',
          familyRevoked: revoked.revoked === 1,
        },
      });
      throw new AppError('unauthenticated', 'The refresh token is not valid.');
    }
    await this.verifier.forget(row.token_hash);
    const identity = await findIdentityById(this.store.db, row.identity_id);
    if (identity?.enabled !== 1) throw new AppError('unauthenticated', 'The refresh token is not valid.');
    // The refresh token mints its successors: they carry at most what it may do now.
    const minter = await this.verifier.principalFor(entry, 'token');
    if (!minter) throw new AppError('unauthenticated', 'The refresh token is not valid.');
    const target = targetOf(identity);
    let plan: MintPlan;
    try {
      plan = this.tokens.plan(minter.authority, 'refresh', target, {});
    } catch (err) {
      // Nothing left to carry (the identity lost every role the family had).
      if (err instanceof AppError) throw new AppError('unauthenticated', 'The refresh token is not valid.');
      throw err;
    }
    const next = await this.tokens.createOpaque('refresh', {
      identityId: identity.id,
      plan,
      expiresAtMs: row.expires_at_ms,
      name: row.name,
      description: row.description,
      createdBy: row.created_by,
      parentId: row.id,
      familyId,
      subtype: row.subtype,
    });
    const access = await this.issuer.issueJwt({
      identity: target,
      plan,
      ttlMs: Math.min(this.life.accessTtlMs, row.expires_at_ms - now),
      parentId: next.row.id,
      familyId,
      name: row.name,
      subtype: row.subtype,
      createdBy: row.created_by,
    });
    // A replay of the same refresh token may have revoked the family while this rotation was
    // issuing: then the new tokens die with it (a replay after this point revokes them anyway).
    const root = await findTokenById(this.store.db, familyId);
    if (!root || root.revoked === 1) {
      await this.tokens.revokeTree(next.row, null, meta, 'token.refresh_reuse');
      throw new AppError('unauthenticated', 'The refresh token is not valid.');
    }
    await this.audit.record({
      action: 'token.refresh',
      actor: { id: identity.id, name: identity.name },
      targetType: 'token',
      targetId: familyId,
      ip: meta.ip,
      details: { spent: row.id, issued: next.row.id },
    });
    const expiresIn = Math.max(0, seconds(access.expiresAtMs - now));
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: next.value,
      accessToken: access.token,
      refreshToken: next.value,
      tokenExpiryTimestamp: seconds(access.expiresAtMs),
      refreshTokenExpiryTimestamp: seconds(row.expires_at_ms),
    };
  }

  /**
   * RFC 7662, as JSON text: `{active:false}` alone for anything not active; never consumes a
   * single-use token. An active token's answer depends only on its cache entries (replaced,
   * never changed, when anything about them changes), so it is serialised once per principal.
   * Synchronous when the caches can answer.
   */
  introspect(value: string): string | Promise<string> {
    return this.cachedIntrospection(value) ?? this.introspectFromStore(value);
  }

  private async introspectFromStore(value: string): Promise<string> {
    const entry = await this.verifier.lookup(value);
    if (!entry || this.inactive(entry)) return INACTIVE;
    const principal = await this.verifier.principalFor(entry, entry.kind === 'access' ? 'access' : 'token');
    return principal ? this.introspection(entry, principal) : INACTIVE;
  }

  /** introspect's answer from the caches alone, or undefined when the store must be asked. */
  cachedIntrospection(value: string): string | undefined {
    const entry = this.verifier.cachedEntry(value);
    if (entry === undefined) return undefined;
    if (entry === null || this.inactive(entry)) return INACTIVE;
    const principal = this.verifier.cachedPrincipalFor(entry, entry.kind === 'access' ? 'access' : 'token');
    if (principal === undefined) return undefined;
    return principal ? this.introspection(entry, principal) : INACTIVE;
  }

  private inactive(entry: TokenEntry): boolean {
    return !isLive(entry, this.clock());
  }

  private introspection(entry: TokenEntry, principal: Principal): string {
    principal.introspection ??= JSON.stringify({
      active: true,
      token_type: entry.kind,
      sub: String(principal.identity.id),
      username: principal.identity.name,
      roles: principal.roles,
      permissions: MANAGEMENT_PERMISSIONS.filter((p) => principal.authority.has(p)),
      // Everything it may do, as grants (patterns included): what a service needs to decide
      // custom permissions (the SDK does) for a narrowed token whose roles alone would say more.
      grants: principal.authority.grants().grants,
      scope: entry.endpoints ? 'custom' : 'all',
      ...(entry.endpoints ? { api_endpoints: entry.endpoints.map((e) => e.source) } : {}),
      exp: seconds(entry.expiresAtMs),
      iat: seconds(entry.createdAtMs),
      iss: this.keys.issuer,
      aud: this.keys.audience,
      jti: String(entry.id),
      ...(entry.parentId === null ? {} : { tid: entry.parentId }),
      ...(entry.subtype ? { token_subtype: entry.subtype } : {}),
      ...(entry.act ? { act: entry.act } : {}),
    });
    return principal.introspection;
  }

  /** RFC 7009: holding a token is the right to revoke it; unknown tokens are not an error. */
  async revoke(caller: Principal | null, value: string, meta: RequestMeta): Promise<void> {
    const entry = await this.verifier.lookup(value);
    if (!entry || entry.revoked) return;
    const row = await findTokenById(this.store.db, entry.id);
    if (!row) return;
    const actor = caller ? caller.identity : { id: row.identity_id, name: null };
    await this.tokens.revokeTree(row, actor, meta);
  }

  /**
   * The actor a token exchange names with `actor_token`. A single-use actor is refused (it
   * mints nothing), not spent by the refusal.
   */
  async actorFrom(actorToken: string): Promise<Principal> {
    const actor = await this.verifier.authenticateToken(actorToken, { spend: false });
    if (!actor) throw new AppError('unauthenticated', 'The actor token is not valid.');
    return actor;
  }

  /**
   * RFC 8693: the subject's token is exchanged for a short-lived access JWT. The actor must be
   * authenticated; acting for another identity needs tokens:exchange (and the actor's act-for
   * list, if it has one, must name the subject). The new token's ceiling is what the subject
   * and the actor both may do, narrowed further by `scope` (role names and/or permissions,
   * each held by both): exchange only ever narrows. Its `act` names the actor, with the
   * subject's own `act` chain inside. Refusals are audited like successes.
   */
  async exchange(
    actor: Principal | null,
    req: { subjectToken: string; subjectTokenType?: string; scope?: string },
    meta: RequestMeta,
  ): Promise<{
    access_token: string;
    issued_token_type: string;
    token_type: 'Bearer';
    expires_in: number;
    scope: string;
  }> {
    let subject: Principal | null = null;
    try {
      if (!actor) throw new AppError('unauthenticated', 'Token exchange needs an authenticated actor.');
      const type = req.subjectTokenType ?? 'urn:ietf:params:oauth:token-type:access_token';
      if (type === 'urn:tokenward:params:oauth:token-type:session') {
        subject = await this.verifier.authenticateSession(req.subjectToken);
      } else if (
        type === 'urn:ietf:params:oauth:token-type:access_token' ||
        type === 'urn:ietf:params:oauth:token-type:jwt'
      ) {
        // A single-use subject is refused below (it mints nothing), not spent here.
        subject = await this.verifier.authenticateToken(req.subjectToken, { spend: false });
      } else throw new AppError('invalid_request', 'subject_token_type is not supported.');
      if (!subject) throw new AppError('unauthenticated', 'The subject token is not valid.');
      return await this.exchangeFor(actor, subject, req.scope, meta);
    } catch (err) {
      if (err instanceof AppError) {
        await this.audit.record({
          action: 'token.exchange',
          outcome: 'failure',
          actor: actor ? actor.identity : null,
          ip: meta.ip,
          details: { reason: err.code, ...(subject ? { subject: subject.identity.id } : {}) },
        });
      }
      throw err;
    }
  }

  private async exchangeFor(
    actor: Principal,
    subject: Principal,
    scope: string | undefined,
    meta: RequestMeta,
  ) {
    const scopeRoles: string[] = [];
    const permissions: string[] = [];
    for (const item of (scope ?? '').split(/\s+/).filter(Boolean)) {
      const role = item.includes(':') ? undefined : this.roles.canonical(item);
      if (role) scopeRoles.push(role);
      else if (isValidPermission(item) && !item.includes('*')) permissions.push(item);
      else
        throw new AppError('invalid_request', `"${item.slice(0, 64)}" is neither a role nor a permission.`);
    }
    const me = subject.identity;
    const target = { id: me.id, name: me.name, source: me.source, roles: me.roles };
    const plan = this.tokens.plan(subject.authority, 'exchange', target, {
      actor: actor.authority,
      ...(scopeRoles.length > 0 ? { scopeRoles } : {}),
      ...(permissions.length > 0 ? { narrowTo: permissions } : {}),
    });
    const now = this.clock();
    const subjectExpiry =
      subject.token?.expiresAtMs ?? subject.session?.expiresAtMs ?? now + this.life.delegationTtlMs;
    const ttlMs = Math.min(this.life.delegationTtlMs, subjectExpiry - now);
    const earlier = (subject.token?.act ?? undefined) as ActClaim | undefined;
    const act: ActClaim | undefined =
      actor.identity.id !== subject.identity.id
        ? { sub: String(actor.identity.id), name: actor.identity.name, ...(earlier ? { act: earlier } : {}) }
        : earlier;
    const issued = await this.issuer.issueJwt({
      identity: target,
      plan,
      ttlMs,
      parentId: subject.token?.id ?? null,
      actorTokenId: actor.token?.id ?? null,
      name: act ? `delegated to ${act.name}` : 'token exchange',
      act,
      createdBy: actor.identity.id,
    });
    const held = issued.roles;
    await this.audit.record({
      action: 'token.exchange',
      actor: actor.identity,
      targetType: 'token',
      targetId: issued.row.id,
      ip: meta.ip,
      details: {
        subject: subject.identity.id,
        roles: held,
        ...(permissions.length ? { permissions } : {}),
        ...(act ? { act } : {}),
      },
    });
    return {
      access_token: issued.token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer' as const,
      expires_in: Math.max(0, seconds(issued.expiresAtMs - now)),
      scope: [...new Set([...(scopeRoles.length > 0 ? scopeRoles : held), ...permissions])].join(' '),
    };
  }
}
