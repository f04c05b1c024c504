import { AppError, isValidPermission, MANAGEMENT_PERMISSIONS, roleKey } from '@tokenward/core';
import { findIdentityById, findTokenById, listTokens, type Store, spendToken } from '@tokenward/store';
import type { AccessIssuer } from './access-issuer.js';
import type { AuditService } from './audit.service.js';
import { requirePermission } from './authorization.js';
import type { KeyRing } from './key-ring.js';
import type { RoleCatalog } from './role-catalog.js';
import type { RequestMeta, TokenService } from './token.service.js';
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

  private rootIdOf(token: TokenEntry | null): number | null {
    if (!token) return null;
    return token.kind === 'access' && token.parentId !== null ? token.parentId : token.id;
  }

  /** Seed 004: POST /api/v4/accesstoken. */
  async createAccessToken(caller: Principal, req: AccessTokenRequest, meta: RequestMeta): Promise<TokenInfo> {
    requirePermission(caller, 'tokens:grant');
    const type = parseTokenType(req.tokenType);
    if (!type)
      throw new AppError(
        'invalid_request',
        'tokenType must be DEFAULT, MS_SCIM, ALL, CUSTOM, OneTouch or 0–4.',
      );
    if (caller.roles.length === 0) throw new AppError('role_not_held', 'You hold no role to put in a token.');
    const identity = { id: caller.identity.id, name: caller.identity.name };
    const parentId = this.rootIdOf(caller.token);
    let info: TokenInfo;
    if (type === 'MS_SCIM' || type === 'OneTouch') {
      const [defaultMs, maxMs] = type === 'MS_SCIM' ? [30 * DAY, 365 * DAY] : [7 * DAY, 14 * DAY];
      const expiresAtMs = this.until(req.tokenExpiryTimestamp, defaultMs, maxMs, 'tokenExpiryTimestamp');
      const endpoints = this.tokens.endpoints(caller, type === 'MS_SCIM' ? SCIM_ENDPOINTS : undefined);
      const issued = await this.issuer.issueOpaque({
        identity,
        roles: caller.roles,
        endpoints,
        ttlMs: expiresAtMs - this.clock(),
        parentId,
        name: req.tokenName,
        subtype: type,
        createdBy: caller.identity.id,
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
      const endpoints = this.tokens.endpoints(caller, type === 'CUSTOM' ? req.apiEndpoints : undefined);
      const renewableUntilMs = this.until(
        req.renewableUntilTimestamp,
        this.life.refreshDefaultMs,
        this.life.refreshMaxMs,
        'renewableUntilTimestamp',
      );
      const refresh = await this.tokens.createOpaque('refresh', {
        identityId: identity.id,
        roles: caller.roles,
        endpoints,
        expiresAtMs: renewableUntilMs,
        name: req.tokenName,
        description: '',
        createdBy: caller.identity.id,
        parentId,
        subtype: type,
      });
      const access = await this.issuer.issueJwt({
        identity,
        roles: caller.roles,
        endpoints,
        ttlMs: Math.min(this.life.accessTtlMs, renewableUntilMs - this.clock()),
        parentId: refresh.row.id,
        familyId: refresh.row.id,
        name: req.tokenName,
        subtype: type,
        createdBy: caller.identity.id,
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
      actor: caller.identity,
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
    if (!row || row.revoked === 1 || row.expires_at_ms <= now) {
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
    const held = new Set((JSON.parse(identity.roles) as string[]).map(roleKey));
    const roles = (JSON.parse(row.roles) as string[]).filter((r) => held.has(roleKey(r)));
    const endpoints = row.api_endpoints ? (JSON.parse(row.api_endpoints) as string[]) : null;
    const next = await this.tokens.createOpaque('refresh', {
      identityId: identity.id,
      roles,
      endpoints,
      expiresAtMs: row.expires_at_ms,
      name: row.name,
      description: row.description,
      createdBy: row.created_by,
      parentId: row.id,
      familyId,
      subtype: row.subtype,
    });
    const access = await this.issuer.issueJwt({
      identity: { id: identity.id, name: identity.name },
      roles,
      endpoints,
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
    return entry.revoked || entry.spent || entry.expiresAtMs <= this.clock();
  }

  private introspection(entry: TokenEntry, principal: Principal): string {
    principal.introspection ??= JSON.stringify({
      active: true,
      token_type: entry.kind,
      sub: String(principal.identity.id),
      username: principal.identity.name,
      roles: principal.roles,
      permissions: MANAGEMENT_PERMISSIONS.filter((p) => principal.permissions.has(p)),
      scope: entry.endpoints ? 'custom' : 'all',
      ...(entry.endpoints ? { api_endpoints: entry.endpoints.map((e) => e.source) } : {}),
      exp: seconds(entry.expiresAtMs),
      iat: seconds(entry.createdAtMs),
      iss: this.keys.issuer,
      aud: this.keys.audience,
      jti: String(entry.id),
      ...(entry.parentId === null ? {} : { tid: entry.parentId }),
      ...(entry.subtype ? { token_subtype: entry.subtype } : {}),
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
   * RFC 8693: the subject's token is exchanged for a short-lived access JWT with at most the
   * subject's roles (narrowed by `scope`: role names and/or permission strings), naming the
   * acting app in `act`.
   */
  async exchange(
    actor: Principal | null,
    req: { subjectToken: string; subjectTokenType?: string; scope?: string },
    meta: RequestMeta,
    authenticateSession: (secret: string) => Promise<Principal | null>,
    authenticateToken: (value: string) => Promise<Principal | null>,
  ): Promise<{
    access_token: string;
    issued_token_type: string;
    token_type: 'Bearer';
    expires_in: number;
    scope: string;
  }> {
    const type = req.subjectTokenType ?? 'urn:ietf:params:oauth:token-type:access_token';
    let subject: Principal | null;
    if (type === 'urn:tokenward:params:oauth:token-type:session')
      subject = await authenticateSession(req.subjectToken);
    else if (
      type === 'urn:ietf:params:oauth:token-type:access_token' ||
      type === 'urn:ietf:params:oauth:token-type:jwt'
    ) {
      subject = await authenticateToken(req.subjectToken);
    } else throw new AppError('invalid_request', 'subject_token_type is not supported.');
    if (!subject) throw new AppError('unauthenticated', 'The subject token is not valid.');

    let roles = subject.roles;
    const permissions: string[] = [];
    const items = (req.scope ?? '').split(/\s+/).filter(Boolean);
    if (items.length > 0) {
      const requestedRoles: string[] = [];
      const held = new Set(subject.roles.map(roleKey));
      for (const item of items) {
        const role = this.roles.canonical(item);
        if (role && !item.includes(':')) {
          // A role the subject holds, or one whose permissions the subject's cover (down-scoping).
          if (!held.has(roleKey(role)) && !subject.permissions.covers(this.roles.permissionsOf([role]))) {
            throw new AppError(
              'role_not_held',
              `The subject does not hold the role "${role}" or its permissions.`,
            );
          }
          requestedRoles.push(role);
        } else if (isValidPermission(item) && !item.includes('*')) {
          if (!subject.permissions.has(item)) {
            throw new AppError('role_not_held', `The subject does not hold the permission "${item}".`);
          }
          permissions.push(item);
        } else {
          throw new AppError('invalid_request', `"${item.slice(0, 64)}" is neither a role nor a permission.`);
        }
      }
      if (requestedRoles.length > 0) roles = requestedRoles;
    }
    if (roles.length === 0) throw new AppError('role_not_held', 'The subject holds no role to delegate.');
    const now = this.clock();
    const subjectExpiry =
      subject.token?.expiresAtMs ?? subject.session?.expiresAtMs ?? now + this.life.delegationTtlMs;
    const ttlMs = Math.min(this.life.delegationTtlMs, subjectExpiry - now);
    const act =
      actor && actor.identity.id !== subject.identity.id
        ? { sub: String(actor.identity.id), name: actor.identity.name }
        : undefined;
    const issued = await this.issuer.issueJwt({
      identity: { id: subject.identity.id, name: subject.identity.name },
      roles,
      endpoints: subject.endpoints ? subject.endpoints.map((e) => e.source) : null,
      permissions: permissions.length > 0 ? permissions : null,
      ttlMs,
      parentId: this.rootIdOf(subject.token),
      name: act ? `delegated to ${act.name}` : 'token exchange',
      ...(act ? { act } : {}),
      createdBy: actor?.identity.id ?? subject.identity.id,
    });
    await this.audit.record({
      action: 'token.exchange',
      actor: actor ? actor.identity : subject.identity,
      targetType: 'token',
      targetId: issued.row.id,
      ip: meta.ip,
      details: {
        subject: subject.identity.id,
        roles,
        ...(permissions.length ? { permissions } : {}),
        ...(act ? { act } : {}),
      },
    });
    return {
      access_token: issued.token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: Math.max(0, seconds(issued.expiresAtMs - now)),
      scope: [...roles, ...permissions].join(' '),
    };
  }
}
