import { generateToken, hashToken, tokenHint } from '@tokenward/core';
import { insertToken, type Store, type TokenRow } from '@tokenward/store';
import type { AccessClaims, KeyRing } from './key-ring.js';

export interface AccessGrant {
  identity: { id: number; name: string };
  roles: string[];
  /** Endpoint allow-list (`METHOD /path`), or null for everything the roles allow. */
  endpoints: string[] | null;
  /** Further permission limit (token exchange with a narrower scope), or null. */
  permissions?: string[] | null;
  ttlMs: number;
  /** The long-lived token this one comes from: revoking it revokes this one. */
  parentId: number | null;
  familyId?: number | null;
  name?: string;
  subtype?: string | null;
  act?: { sub: string; name: string };
  createdBy: number | null;
}

/**
 * Issues access tokens. Each one also gets a row (kind `access`, only its hash), so it can be
 * listed, revoked on its own, and revoked with the token it came from.
 */
export class AccessIssuer {
  constructor(
    private readonly store: Store,
    private readonly keys: KeyRing,
    private readonly clock: () => number,
    private readonly prefix: string,
  ) {}

  /** A short-lived access JWT (SPEC §2 claims). */
  async issueJwt(g: AccessGrant): Promise<{ token: string; row: TokenRow; expiresAtMs: number }> {
    const claims: Omit<AccessClaims, 'iss' | 'aud' | 'iat' | 'nbf' | 'exp'> = {
      sub: String(g.identity.id),
      name: g.identity.name,
      roles: g.roles,
      scope: g.endpoints ? 'custom' : 'all',
      jti: generateToken('access', this.prefix).slice(-22),
      ...(g.parentId === null ? {} : { tid: g.parentId }),
      ...(g.endpoints ? { api_endpoints: g.endpoints } : {}),
      ...(g.permissions ? { perms: g.permissions } : {}),
      ...(g.act ? { act: g.act } : {}),
    };
    const { jwt, expiresAtMs } = await this.keys.sign(claims, g.ttlMs);
    const row = await this.insert(g, jwt, expiresAtMs);
    return { token: jwt, row, expiresAtMs };
  }

  /** A long-lived opaque access token (seed 004's MS_SCIM and OneTouch types). */
  async issueOpaque(g: AccessGrant): Promise<{ token: string; row: TokenRow; expiresAtMs: number }> {
    const token = generateToken('access', this.prefix);
    const expiresAtMs = this.clock() + g.ttlMs;
    const row = await this.insert(g, token, expiresAtMs);
    return { token, row, expiresAtMs };
  }

  private insert(g: AccessGrant, value: string, expiresAtMs: number): Promise<TokenRow> {
    return insertToken(this.store.db, {
      kind: 'access',
      token_hash: hashToken(value),
      hint: tokenHint(value),
      name: g.name ?? '',
      description: '',
      identity_id: g.identity.id,
      roles: JSON.stringify(g.roles),
      scope: g.endpoints ? 'custom' : 'all',
      api_endpoints: g.endpoints ? JSON.stringify(g.endpoints) : null,
      permissions: g.permissions ? JSON.stringify(g.permissions) : null,
      created_at_ms: this.clock(),
      expires_at_ms: expiresAtMs,
      revoked_at_ms: null,
      last_used_at_ms: null,
      parent_id: g.parentId,
      family_id: g.familyId ?? null,
      spent_at_ms: null,
      subtype: g.subtype ?? null,
      created_by: g.createdBy,
    });
  }
}
