import { AppError, type LifetimePolicy, roleKey } from '@tokenward/core';
import {
  findIdentityByNameOrEmail,
  findTokenById,
  listTokens,
  type Store,
  updateTokenMeta,
} from '@tokenward/store';
import type { AccessIssuer } from './access-issuer.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import type { AuditService } from './audit.service.js';
import { identityView } from './identity.service.js';
import type { RequestMeta, TokenService, TokenView } from './token.service.js';
import type { Principal, Verifier } from './verifier.js';

export interface PatAuthResult {
  token: string;
  user: {
    userId: string;
    email: string | null;
    firstName: string | null;
    lastName: string | null;
    fullName: string;
    enabled: boolean;
  };
  tokenExpires: string;
}

/** Personal access tokens (seed 003): each identity manages its own. */
export class PersonalTokenService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly verifier: Verifier,
    private readonly issuer: AccessIssuer,
    private readonly audit: AuditService,
    private readonly limiter: AttemptLimiter,
    private readonly clock: () => number,
    private readonly policy: LifetimePolicy,
    private readonly accessTtlMs: number,
  ) {}

  async list(
    caller: Principal,
    f: { status?: 'Active' | 'Revoked' | 'Expired'; limit: number; offset: number },
  ) {
    const { rows, total } = await listTokens(this.store.db, {
      identityId: caller.identity.id,
      kinds: ['personal'],
      ...(f.status ? { status: f.status } : {}),
      nowMs: this.clock(),
      limit: f.limit,
      offset: f.offset,
    });
    const identity = {
      id: caller.identity.id,
      name: caller.identity.name,
      source: caller.identity.source,
      roles: JSON.stringify(caller.identity.roles),
    };
    return { items: rows.map((r) => this.tokens.view(r, identity)), total, limit: f.limit, offset: f.offset };
  }

  /** A personal token carries the caller's current effective roles and endpoint limits, never more. */
  async create(
    caller: Principal,
    input: { name: string; description?: string; expiration?: unknown },
    meta: RequestMeta,
  ): Promise<TokenView> {
    if (caller.roles.length === 0) throw new AppError('role_not_held', 'You hold no role to put in a token.');
    const expiresAtMs = this.tokens.expiry(input.expiration, this.policy);
    const endpoints = caller.endpoints ? caller.endpoints.map((e) => e.source) : null;
    const { value, row } = await this.tokens.createOpaque('personal', {
      identityId: caller.identity.id,
      roles: caller.roles,
      endpoints,
      expiresAtMs,
      name: input.name,
      description: input.description ?? '',
      createdBy: caller.identity.id,
    });
    await this.audit.record({
      action: 'token.grant',
      actor: caller.identity,
      targetType: 'token',
      targetId: row.id,
      ip: meta.ip,
      details: { kind: 'personal', identityId: caller.identity.id, roles: caller.roles, hint: row.hint },
    });
    return this.tokens.view(row, undefined, value);
  }

  private async own(caller: Principal, id: number) {
    const row = await findTokenById(this.store.db, id);
    if (row?.kind !== 'personal' || row.identity_id !== caller.identity.id) {
      throw new AppError('not_found', 'The personal token was not found.');
    }
    return row;
  }

  async update(
    caller: Principal,
    id: number,
    patch: { name?: string; description?: string },
    meta: RequestMeta,
  ) {
    const row = await this.own(caller, id);
    const updated = (await updateTokenMeta(this.store.db, id, patch)) ?? row;
    await this.audit.record({
      action: 'token.update',
      actor: caller.identity,
      targetType: 'token',
      targetId: id,
      ip: meta.ip,
      details: { kind: 'personal', fields: Object.keys(patch) },
    });
    return this.tokens.view(updated, undefined);
  }

  /** Revokes the token and every access token obtained with it. */
  async revoke(caller: Principal, id: number, meta: RequestMeta) {
    const row = await this.own(caller, id);
    return this.tokens.view(await this.tokens.revokeTree(row, caller.identity, meta), undefined);
  }

  /**
   * Seed 003: exchanges a username + personal token for a short-lived access JWT. Failures are
   * counted per username and per client address; every failure has the same answer.
   */
  async authenticate(username: string, personalToken: string, meta: RequestMeta): Promise<PatAuthResult> {
    const keys = [`pat-u:${username.toLowerCase()}`, `pat-ip:${meta.ip ?? ''}`];
    const wait = await this.limiter.retryAfterSeconds(keys);
    if (wait > 0) {
      await this.audit.record({
        action: 'token.authenticate',
        outcome: 'failure',
        actor: { id: null, name: username.slice(0, 128) },
        ip: meta.ip,
        details: { kind: 'personal', reason: 'rate_limited' },
      });
      throw new AppError('rate_limited', undefined, { headers: { 'retry-after': String(wait) } });
    }
    const [identity, token] = await Promise.all([
      findIdentityByNameOrEmail(this.store.db, username),
      this.verifier.lookup(personalToken),
    ]);
    const now = this.clock();
    const ok =
      identity !== undefined &&
      identity.enabled === 1 &&
      token !== null &&
      token.kind === 'personal' &&
      token.identityId === identity.id &&
      !token.revoked &&
      token.expiresAtMs > now;
    if (!ok) {
      await this.limiter.fail(keys);
      await this.audit.record({
        action: 'token.authenticate',
        outcome: 'failure',
        actor: { id: identity?.id ?? null, name: username.slice(0, 128) },
        ip: meta.ip,
        details: { kind: 'personal', reason: 'invalid_credentials' },
      });
      throw new AppError('invalid_credentials', 'The username or personal token is not valid.');
    }
    await this.limiter.succeed([keys[0]!]);
    const identityRoles = new Set((JSON.parse(identity.roles) as string[]).map(roleKey));
    const roles = token.roles.filter((r) => identityRoles.has(roleKey(r)));
    const issued = await this.issuer.issueJwt({
      identity: { id: identity.id, name: identity.name },
      roles,
      endpoints: token.endpoints ? token.endpoints.map((e) => e.source) : null,
      ttlMs: Math.min(this.accessTtlMs, token.expiresAtMs - now),
      parentId: token.id,
      name: 'personal token exchange',
      createdBy: identity.id,
    });
    await this.audit.record({
      action: 'token.authenticate',
      actor: { id: identity.id, name: identity.name },
      targetType: 'token',
      targetId: token.id,
      ip: meta.ip,
      details: { kind: 'personal', accessTokenId: issued.row.id },
    });
    const view = identityView(identity);
    return {
      token: issued.token,
      user: {
        userId: String(identity.id),
        email: view.email,
        firstName: view.firstName,
        lastName: view.lastName,
        fullName: view.fullName,
        enabled: view.enabled,
      },
      tokenExpires: new Date(issued.expiresAtMs).toISOString(),
    };
  }
}
