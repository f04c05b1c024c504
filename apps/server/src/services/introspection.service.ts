import { isLive, MANAGEMENT_PERMISSIONS } from '@tokenward/core';
import { wireScope } from './access-issuer.js';
import type { KeyRing } from './key-ring.js';
import type { Principal, TokenEntry, Verifier } from './verifier.js';

const INACTIVE = JSON.stringify({ active: false });
const seconds = (ms: number) => Math.floor(ms / 1000);

export interface IntrospectionDeps {
  verifier: Verifier;
  /** For `iss` and `aud`. */
  keys: Pick<KeyRing, 'issuer' | 'audience'>;
  clock: () => number;
}

/** RFC 7662 introspection, answered from the caches when they can (the fast path asks too). */
export class IntrospectionService {
  constructor(private readonly deps: IntrospectionDeps) {}

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
    const entry = await this.deps.verifier.lookup(value);
    if (!entry || this.inactive(entry)) return INACTIVE;
    const principal = await this.deps.verifier.principalFor(
      entry,
      entry.kind === 'access' ? 'access' : 'token',
    );
    return principal ? this.introspection(entry, principal) : INACTIVE;
  }

  /** introspect's answer from the caches alone, or undefined when the store must be asked. */
  cachedIntrospection(value: string): string | undefined {
    const entry = this.deps.verifier.cachedEntry(value);
    if (entry === undefined) return undefined;
    if (entry === null || this.inactive(entry)) return INACTIVE;
    const principal = this.deps.verifier.cachedPrincipalFor(
      entry,
      entry.kind === 'access' ? 'access' : 'token',
    );
    if (principal === undefined) return undefined;
    return principal ? this.introspection(entry, principal) : INACTIVE;
  }

  private inactive(entry: TokenEntry): boolean {
    return !isLive(entry, this.deps.clock());
  }

  /**
   * RFC 7662 §2.2 members with their RFC meanings (an access JWT's answer repeats its claims:
   * scope, client_id, jti, iat, aud), then Tokenward's own: `kind`, `roles` (those it really
   * holds), `permissions`, `grants`, `api_endpoints`, `token_id`, `tid`, `token_subtype`.
   */
  private introspection(entry: TokenEntry, principal: Principal): string {
    if (principal.introspection !== undefined) return principal.introspection;
    const scope = wireScope(entry.scopes, principal.roles);
    const iat = seconds(entry.createdAtMs);
    principal.introspection = JSON.stringify({
      active: true,
      ...(scope ? { scope } : {}),
      client_id: entry.clientId ?? principal.identity.name,
      username: principal.identity.name,
      token_type: tokenTypeOf(entry),
      exp: seconds(entry.expiresAtMs),
      iat,
      ...(entry.jti === null ? {} : { nbf: iat }),
      sub: String(principal.identity.id),
      aud: entry.audience ?? this.deps.keys.audience,
      iss: this.deps.keys.issuer,
      ...(entry.jti === null ? {} : { jti: entry.jti }),
      ...(entry.act ? { act: entry.act } : {}),
      kind: entry.kind,
      token_id: entry.id,
      roles: principal.roles,
      permissions: MANAGEMENT_PERMISSIONS.filter((p) => principal.authority.has(p)),
      // Everything it may do, as grants (patterns included): what a service needs to decide
      // custom permissions (the SDK does) for a narrowed token whose roles alone would say more.
      grants: principal.authority.grants().grants,
      ...(entry.endpoints ? { api_endpoints: entry.endpoints.map((e) => e.source) } : {}),
      ...(entry.parentId === null ? {} : { tid: entry.parentId }),
      ...(entry.subtype ? { token_subtype: entry.subtype } : {}),
      // RFC 9449 §6.2: the key a DPoP-bound token is bound to.
      ...(entry.cnfJkt ? { cnf: { jkt: entry.cnfJkt } } : {}),
    });
    return principal.introspection;
  }
}

/**
 * RFC 7662 `token_type` (an RFC 6749 §7.1 access token type): how the token is presented.
 * Hook for DPoP (RFC 9449): a sender-constrained token (its entry carries a `cnf.jkt`) is
 * `DPoP`, and its answer adds that `cnf`.
 */
function tokenTypeOf(entry: TokenEntry): 'Bearer' | 'DPoP' {
  return entry.cnfJkt ? 'DPoP' : 'Bearer';
}
