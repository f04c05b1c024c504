import { isLive, MANAGEMENT_PERMISSIONS } from '@tokenward/core';
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
      iss: this.deps.keys.issuer,
      aud: this.deps.keys.audience,
      jti: String(entry.id),
      ...(entry.parentId === null ? {} : { tid: entry.parentId }),
      ...(entry.subtype ? { token_subtype: entry.subtype } : {}),
      ...(entry.act ? { act: entry.act } : {}),
      // RFC 9449 §6.2: the key a DPoP-bound token is bound to.
      ...(entry.cnfJkt ? { cnf: { jkt: entry.cnfJkt } } : {}),
    });
    return principal.introspection;
  }
}
