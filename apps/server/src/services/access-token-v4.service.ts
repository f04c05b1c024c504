import { AppError } from '@tokenward/core';
import { findTokenById, listTokens, type Store } from '@tokenward/store';
import type { AccessIssuer } from './access-issuer.js';
import type { AuditService } from './audit.service.js';
import { checkTokenEndpointDpop } from './dpop.js';
import type { RequestMeta } from './request-meta.js';
import type { TokenMinter } from './token-minter.js';
import type { TokenRevoker } from './token-revoker.js';
import type { TokenViews } from './token-view.js';
import type { Principal } from './verifier.js';

const DAY = 86_400_000;
const SCIM_ENDPOINTS = ['* /scim/v2/*'];
const seconds = (ms: number) => Math.floor(ms / 1000);

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

export interface AccessTokenV4Deps {
  store: Store;
  minter: TokenMinter;
  revoker: TokenRevoker;
  views: TokenViews;
  issuer: AccessIssuer;
  audit: AuditService;
  clock: () => number;
  lifetimes: {
    /** Lifetime of an access JWT. */
    accessTtlMs: number;
    /** How long a refresh family lives when renewableUntilTimestamp is absent, and at most. */
    refreshDefaultMs: number;
    refreshMaxMs: number;
  };
}

/** Seed 004's access-token API: create (opaque or JWT + refresh family), list, delete. */
export class AccessTokenV4Service {
  constructor(private readonly deps: AccessTokenV4Deps) {}

  /** Absolute epoch-seconds timestamp → ms; 0 or absent → default; beyond the maximum → 400. */
  private until(timestampS: number | undefined, defaultMs: number, maxMs: number, field: string): number {
    const now = this.deps.clock();
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
  /**
   * `dpopJkt`: the key of the request's valid DPoP proof (RFC 9449), or null; the tokens made
   * are bound to it, and an identity that requires DPoP gets none without it.
   */
  async createAccessToken(
    caller: Principal,
    req: AccessTokenRequest,
    meta: RequestMeta,
    dpopJkt: string | null = null,
  ): Promise<TokenInfo> {
    checkTokenEndpointDpop(dpopJkt, [caller.token], caller.identity);
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
      const plan = this.deps.minter.plan(caller.authority, 'v4', target, {
        ...(type === 'MS_SCIM' ? { endpoints: SCIM_ENDPOINTS } : {}),
      });
      const [defaultMs, maxMs] = type === 'MS_SCIM' ? [30 * DAY, 365 * DAY] : [7 * DAY, 14 * DAY];
      const expiresAtMs = this.until(req.tokenExpiryTimestamp, defaultMs, maxMs, 'tokenExpiryTimestamp');
      const issued = await this.deps.issuer.issueOpaque({
        identity,
        plan,
        ttlMs: expiresAtMs - this.deps.clock(),
        parentId,
        name: req.tokenName,
        subtype: type,
        cnfJkt: dpopJkt,
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
      const plan = this.deps.minter.plan(caller.authority, 'v4', target, {
        ...(type === 'CUSTOM' ? { endpoints: req.apiEndpoints } : {}),
      });
      const renewableUntilMs = this.until(
        req.renewableUntilTimestamp,
        this.deps.lifetimes.refreshDefaultMs,
        this.deps.lifetimes.refreshMaxMs,
        'renewableUntilTimestamp',
      );
      const refresh = await this.deps.minter.createOpaque('refresh', {
        identityId: identity.id,
        plan,
        expiresAtMs: renewableUntilMs,
        name: req.tokenName,
        description: '',
        createdBy: me.id,
        parentId,
        subtype: type,
        cnfJkt: dpopJkt,
      });
      const access = await this.deps.issuer.issueJwt({
        identity,
        plan,
        ttlMs: Math.min(this.deps.lifetimes.accessTtlMs, renewableUntilMs - this.deps.clock()),
        parentId: refresh.row.id,
        familyId: refresh.row.id,
        name: req.tokenName,
        subtype: type,
        cnfJkt: dpopJkt,
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
    await this.deps.audit.record({
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
    const { rows, total } = await listTokens(this.deps.store.db, {
      identityId: caller.identity.id,
      kinds: ['refresh', 'access'],
      subtypes: TOKEN_TYPES,
      familyRootsOnly: true,
      nowMs: this.deps.clock(),
      limit: f.limit,
      offset: f.offset,
    });
    const items = rows.map((r) => ({
      accessTokenId: r.id,
      tokenName: r.name,
      tokenType: r.subtype ?? 'ALL',
      userId: r.identity_id,
      ...this.deps.views.view(r, undefined),
    }));
    return { items, total, limit: f.limit, offset: f.offset };
  }

  async deleteAccessToken(caller: Principal, id: number, meta: RequestMeta): Promise<void> {
    const row = await findTokenById(this.deps.store.db, id);
    if (
      !row ||
      row.identity_id !== caller.identity.id ||
      row.subtype === null ||
      !['refresh', 'access'].includes(row.kind)
    ) {
      throw new AppError('not_found', 'The access token was not found.');
    }
    await this.deps.revoker.revokeTree(row, caller.identity, meta);
  }
}
