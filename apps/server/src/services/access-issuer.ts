import { AppError, Authority, generateToken, hashToken, type MintPlan, tokenHint } from '@tokenward/core';
import { insertToken, type Store, type TokenRow } from '@tokenward/store';
import type { AccessClaims, KeyRing } from './key-ring.js';
import type { RoleCatalog } from './role-catalog.js';

/** RFC 8693 §4.1 `act`: the acting party, with the chain of earlier actors nested inside. */
export interface ActClaim {
  sub: string;
  name: string;
  act?: ActClaim;
}

export interface AccessGrant {
  /** The identity the token is for, with its current roles. */
  identity: { id: number; name: string; roles: readonly string[] };
  /** Roles, ceiling and endpoint allow-list decided by planMint. */
  plan: MintPlan;
  ttlMs: number;
  /** The token that minted this one: revoking it revokes this one. */
  parentId: number | null;
  /** Exchange: the actor's token, which minted it too (revoking it revokes this one as well). */
  actorTokenId?: number | null;
  familyId?: number | null;
  name?: string;
  subtype?: string | null;
  act?: ActClaim | undefined;
  /** RFC 9449: thumbprint of the DPoP key the token is bound to (`cnf.jkt`), or null/absent. */
  cnfJkt?: string | null;
  createdBy: number | null;
  /**
   * RFC 9068 `client_id`: the name of the identity whose client obtained the token (exchange:
   * the actor's). Absent: the identity's own name (refresh, v4, client_credentials for itself).
   */
  clientId?: string | undefined;
  /**
   * The scope strings (canonical role names, permissions) the token was narrowed to, already
   * checked by planMint; absent or null: everything its roles give.
   */
  scope?: readonly string[] | null | undefined;
  /** `aud`: one of the configured audiences (see resolveAudience); absent: the default. */
  audience?: string | undefined;
}

/**
 * A token's `scope` on the wire (JWT claim, introspection, token answers), space-separated: the
 * scope strings it was narrowed to, else the roles it holds. The one definition.
 */
export function wireScope(scopes: readonly string[] | null, roles: readonly string[]): string {
  return (scopes ?? roles).join(' ');
}

export interface AccessIssuerDeps {
  store: Store;
  keys: Pick<KeyRing, 'sign' | 'audience' | 'audiences'>;
  roles: RoleCatalog;
  clock: () => number;
  prefix: string;
}

/**
 * Issues access tokens. Each one also gets a row (kind `access`, only its hash), so it can be
 * listed, revoked on its own, and revoked with the token it came from.
 */
export class AccessIssuer {
  constructor(private readonly deps: AccessIssuerDeps) {}

  /**
   * The `aud` a token request names with RFC 8693 `audience` and/or RFC 8707 `resource`: a
   * configured audience (exact match; both, when given, must name the same one), else 400
   * invalid_target. Neither: the default audience.
   */
  resolveAudience(requested: { audience?: string | undefined; resource?: string | undefined }): string {
    // RFC 6749 §3.1: a parameter sent without a value is as if it were omitted.
    const named = [requested.audience, requested.resource].filter((n): n is string => !!n);
    if (named.length === 0) return this.deps.keys.audience;
    const first = named[0]!;
    if (!named.every((n) => n === first) || !this.deps.keys.audiences.includes(first)) {
      throw new AppError(
        'invalid_target',
        'The audience or resource is not one this server issues tokens for.',
      );
    }
    return first;
  }

  /**
   * A short-lived access JWT (SPEC §2 claims). `roles` are the roles it really holds and `perms`
   * its effective grants when they are narrower than everything, so a service verifying it
   * offline (the SDK) decides exactly as Tokenward does.
   */
  async issueJwt(
    g: AccessGrant,
    db: Store['db'] = this.deps.store.db,
  ): Promise<{ token: string; row: TokenRow; expiresAtMs: number; roles: string[]; scope: string }> {
    const authority = new Authority(
      {
        identityId: g.identity.id,
        credentialRoles: g.plan.roles,
        identityRoles: g.identity.roles,
        ceiling: g.plan.ceiling,
        endpoints: null,
        singleUse: false,
      },
      this.deps.roles,
    );
    const grants = authority.grants().grants;
    const scope = wireScope(g.scope ?? null, authority.roles);
    const jti = generateToken('access', this.deps.prefix).slice(-22);
    const claims: Omit<AccessClaims, 'iss' | 'aud' | 'iat' | 'nbf' | 'exp'> = {
      sub: String(g.identity.id),
      client_id: g.clientId ?? g.identity.name,
      name: g.identity.name,
      roles: [...authority.roles],
      ...(scope ? { scope } : {}),
      jti,
      ...(g.parentId === null ? {} : { tid: g.parentId }),
      ...(g.plan.endpoints ? { api_endpoints: g.plan.endpoints } : {}),
      ...(grants.length === 1 && grants[0] === '*' ? {} : { perms: [...grants] }),
      ...(g.act ? { act: g.act } : {}),
      ...(g.cnfJkt ? { cnf: { jkt: g.cnfJkt } } : {}),
    };
    const audience = g.audience ?? this.deps.keys.audience;
    const { jwt, expiresAtMs, issuedAtMs } = await this.deps.keys.sign(claims, g.ttlMs, audience);
    // Created when signed: introspection's iat is the JWT's.
    const row = await this.insert(db, g, jwt, expiresAtMs, { jti, audience, issuedAtMs });
    return { token: jwt, row, expiresAtMs, roles: [...authority.roles], scope };
  }

  /** A long-lived opaque access token (seed 004's MS_SCIM and OneTouch types). */
  async issueOpaque(
    g: AccessGrant,
    db: Store['db'] = this.deps.store.db,
  ): Promise<{ token: string; row: TokenRow; expiresAtMs: number }> {
    const token = generateToken('access', this.deps.prefix);
    const expiresAtMs = this.deps.clock() + g.ttlMs;
    const row = await this.insert(db, g, token, expiresAtMs);
    return { token, row, expiresAtMs };
  }

  private insert(
    db: Store['db'],
    g: AccessGrant,
    value: string,
    expiresAtMs: number,
    jwt?: { jti: string; audience: string; issuedAtMs: number },
  ): Promise<TokenRow> {
    return insertToken(db, {
      kind: 'access',
      tokenHash: hashToken(value),
      hint: tokenHint(value),
      name: g.name ?? '',
      description: '',
      identityId: g.identity.id,
      roles: g.plan.roles,
      endpoints: g.plan.endpoints,
      ceiling: g.plan.ceiling,
      act: g.act ?? null,
      createdAtMs: jwt?.issuedAtMs ?? this.deps.clock(),
      expiresAtMs,
      parentId: g.parentId,
      actorTokenId: g.actorTokenId ?? null,
      familyId: g.familyId ?? null,
      subtype: g.subtype ?? null,
      cnfJkt: g.cnfJkt ?? null,
      createdBy: g.createdBy,
      scopes: g.scope ?? null,
      clientId: g.clientId ?? g.identity.name,
      jti: jwt?.jti ?? null,
      audience: jwt?.audience ?? null,
    });
  }
}
