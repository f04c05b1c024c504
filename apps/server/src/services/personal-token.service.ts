import { AppError, isLive, type LifetimePolicy } from '@tokenward/core';
import {
  findIdentityByNameOrEmail,
  findTokenById,
  listTokens,
  type Store,
  updateTokenMeta,
} from '@tokenward/store';
import type { TokenView } from '../schemas/token.js';
import type { AccessIssuer } from './access-issuer.js';
import type { Attempt, AttemptLimiter } from './attempt-limiter.js';
import type { AuditService } from './audit.service.js';
import { checkTokenEndpointDpop } from './dpop.js';
import { identityView } from './identity.service.js';
import type { RequestMeta } from './request-meta.js';
import { type TokenMinter, targetOf } from './token-minter.js';
import type { TokenRevoker } from './token-revoker.js';
import type { TokenViews } from './token-view.js';
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

export interface PersonalTokenDeps {
  store: Store;
  minter: TokenMinter;
  views: TokenViews;
  revoker: TokenRevoker;
  verifier: Verifier;
  issuer: AccessIssuer;
  audit: AuditService;
  limiter: AttemptLimiter;
  clock: () => number;
  policy: LifetimePolicy;
  accessTtlMs: number;
}

/** Personal access tokens (seed 003): each identity manages its own. */
export class PersonalTokenService {
  constructor(private readonly deps: PersonalTokenDeps) {}

  async list(
    caller: Principal,
    f: { status?: 'Active' | 'Revoked' | 'Expired'; limit: number; offset: number },
  ) {
    const { rows, total } = await listTokens(this.deps.store.db, {
      identityId: caller.identity.id,
      kinds: ['personal'],
      ...(f.status ? { status: f.status } : {}),
      nowMs: this.deps.clock(),
      limit: f.limit,
      offset: f.offset,
    });
    return {
      items: rows.map((r) => this.deps.views.view(r, this.owner(caller))),
      total,
      limit: f.limit,
      offset: f.offset,
    };
  }

  private owner(caller: Principal) {
    const me = caller.identity;
    return { id: me.id, name: me.name, source: me.source, roles: me.roles };
  }

  /**
   * A personal token for the caller itself. It carries the caller's roles, and the caller's
   * effective permissions as its ceiling: created with a narrowed token, it is as narrow.
   */
  async create(
    caller: Principal,
    input: { name: string; description?: string | undefined; expiration?: unknown },
    meta: RequestMeta,
  ): Promise<TokenView> {
    const owner = this.owner(caller);
    const plan = this.deps.minter.plan(caller.authority, 'personal', owner, {});
    const expiresAtMs = this.deps.minter.expiry(input.expiration, this.deps.policy);
    const { value, row } = await this.deps.minter.grantOpaque(
      'personal',
      {
        identityId: caller.identity.id,
        plan,
        expiresAtMs,
        name: input.name,
        description: input.description ?? '',
        createdBy: caller.identity.id,
        parentId: caller.token?.id ?? null,
      },
      caller,
      meta,
      (created) => ({
        kind: 'personal',
        identityId: caller.identity.id,
        roles: plan.roles,
        hint: created.hint,
      }),
    );
    return this.deps.views.view(row, owner, value);
  }

  private async own(caller: Principal, id: number) {
    const row = await findTokenById(this.deps.store.db, id);
    if (row?.kind !== 'personal' || row.identity_id !== caller.identity.id) {
      throw new AppError('not_found', 'The personal token was not found.');
    }
    return row;
  }

  async update(
    caller: Principal,
    id: number,
    change: { name?: string | undefined; description?: string | undefined },
    meta: RequestMeta,
  ) {
    const row = await this.own(caller, id);
    const updated = (await updateTokenMeta(this.deps.store.db, id, change)) ?? row;
    await this.deps.audit.record({
      action: 'token.update',
      actor: caller.identity,
      targetType: 'token',
      targetId: id,
      ip: meta.ip,
      details: {
        kind: 'personal',
        fields: [
          ...(change.name === undefined ? [] : ['name']),
          ...(change.description === undefined ? [] : ['description']),
        ],
      },
    });
    return this.deps.views.view(updated, this.owner(caller));
  }

  /** Revokes the token and every access token obtained with it. */
  async revoke(caller: Principal, id: number, meta: RequestMeta) {
    const row = await this.own(caller, id);
    return this.deps.views.view(
      await this.deps.revoker.revokeTree(row, caller.identity, meta),
      this.owner(caller),
    );
  }

  /**
   * Seed 003: exchanges a username + personal token for a short-lived access JWT. Failures are
   * counted per username and per client address; every failure has the same answer.
   */
  async authenticate(
    username: string,
    personalToken: string,
    meta: RequestMeta,
    /** The key of the request's valid DPoP proof, or null: the access token is bound to it. */
    dpopJkt: string | null = null,
  ): Promise<PatAuthResult> {
    const identity = await findIdentityByNameOrEmail(this.deps.store.db, username);
    // The account is the identity (its name and its email share one count), or the name tried.
    const account = identity ? `id:${identity.id}` : `name:${username.toLowerCase()}`;
    let attempt: Attempt;
    try {
      attempt = await this.deps.limiter.begin('pat', account, meta.ip ?? '');
    } catch (err) {
      if (err instanceof AppError && err.code === 'rate_limited') {
        await this.deps.audit.record({
          action: 'token.authenticate',
          outcome: 'failure',
          actor: { id: identity?.id ?? null, name: username.slice(0, 128) },
          ip: meta.ip,
          details: { kind: 'personal', reason: 'rate_limited' },
        });
      }
      throw err;
    }
    const token = await this.deps.verifier.lookup(personalToken);
    const now = this.deps.clock();
    const ok =
      identity !== undefined &&
      identity.enabled === 1 &&
      token !== null &&
      token.kind === 'personal' &&
      token.identityId === identity.id &&
      isLive(token, now);
    if (!ok) {
      await this.deps.audit.record({
        action: 'token.authenticate',
        outcome: 'failure',
        actor: { id: identity?.id ?? null, name: username.slice(0, 128) },
        ip: meta.ip,
        details: { kind: 'personal', reason: 'invalid_credentials' },
      });
      throw new AppError('invalid_credentials', 'The username or personal token is not valid.');
    }
    await attempt.succeeded();
    // The personal token mints the access token: its authority decides what the JWT carries.
    const pat = await this.deps.verifier.principalFor(token, 'token');
    if (!pat) throw new AppError('invalid_credentials', 'The username or personal token is not valid.');
    // An identity (or role) that requires DPoP gets no bearer token here either (RFC 9449).
    checkTokenEndpointDpop(dpopJkt, [token], pat.identity);
    const target = targetOf(identity);
    const plan = this.deps.minter.plan(pat.authority, 'pat-authenticate', target, {});
    const issued = await this.deps.issuer.issueJwt({
      identity: target,
      plan,
      ttlMs: Math.min(this.deps.accessTtlMs, token.expiresAtMs - now),
      parentId: token.id,
      name: 'personal token exchange',
      createdBy: identity.id,
      cnfJkt: dpopJkt,
    });
    await this.deps.audit.record({
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
