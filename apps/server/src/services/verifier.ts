// Over 250 lines on purpose: the verify path (credential → cache → store → principal) and the
// caches it keeps are one capability whose parts share the cache entries and their invalidation;
// split, each half would need the other's internals.
import {
  type AllOf,
  Authority,
  type EndpointPattern,
  hashToken,
  intersectGrants,
  isLive,
  type PermissionSet,
  parseEndpointPatterns,
  parseToken,
  roleKey,
} from '@tokenward/core';
import {
  findIdentityById,
  findSessionBySecretHash,
  findTokenByHash,
  type IdentityRow,
  type SessionRow,
  type Store,
  spendToken,
  type TokenRow,
} from '@tokenward/store';
import { LRUCache } from 'lru-cache';
import type { KeyRing } from './key-ring.js';
import type { RoleCatalog } from './role-catalog.js';
import type { UsageTracker } from './usage-tracker.js';

export interface IdentityEntry {
  id: number;
  name: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  source: string;
  roles: string[];
  roleKeys: ReadonlySet<string>;
  enabled: boolean;
  permissions: PermissionSet;
  /** Identities this one may act for through token exchange, or null for any. */
  actFor: number[] | null;
  /** Its new tokens at the token endpoint need a DPoP proof (its own flag or one of its roles'). */
  requireDpop: boolean;
}

export interface TokenEntry {
  id: number;
  kind: string;
  subtype: string | null;
  hash: string;
  identityId: number;
  roles: string[];
  /** The minter's effective grants when it was minted (its ceiling), or null for none. */
  ceiling: string[] | null;
  endpoints: EndpointPattern[] | null;
  /** RFC 8693 `act` chain of a delegated token. */
  act: Record<string, unknown> | null;
  expiresAtMs: number;
  revoked: boolean;
  spent: boolean;
  parentId: number | null;
  familyId: number | null;
  name: string;
  createdAtMs: number;
  /** Scope strings it was narrowed to (role names, permissions), or null: all its roles give. */
  scopes: string[] | null;
  /** An access JWT's `jti` claim, or null. */
  jti: string | null;
  /** The `client_id` of an access token (the identity name of the client that obtained it), or null. */
  clientId: string | null;
  /** An access JWT's `aud`, or null (opaque tokens, JWTs from before audiences were stored). */
  audience: string | null;
  /**
   * Whether it may be presented as a bearer credential of this API: an app, personal or access
   * token, and (an access JWT) for this API's own audience. Decided once, when the entry is made.
   */
  bearer: boolean;
  /** RFC 9449: thumbprint of the DPoP key the token is bound to, or null (a bearer token). */
  cnfJkt: string | null;
  /** The principal last built from this entry (see principalFor). */
  principal?: Principal;
}

/** Who is calling and what they may do, attached to every authenticated request. */
export interface Principal {
  /** `client`: an OAuth client authenticated with a registered key (private_key_jwt). */
  via: 'token' | 'session' | 'access' | 'client';
  identity: IdentityEntry;
  /** The long-lived token presented (or that an access token came from). */
  token: TokenEntry | null;
  session: SessionEntry | null;
  /** What this credential may do and mint (packages/core/src/authority.ts): ask it, nothing else. */
  authority: Authority;
  /** The roles it really holds (authority.roles). */
  roles: readonly string[];
  /** Its effective permissions (authority.permissions). */
  permissions: AllOf;
  /** Endpoint allow-list, or null for no restriction (authority.endpoints). */
  endpoints: readonly EndpointPattern[] | null;
  /** Gateway headers (`/auth/verify`), computed once per principal. */
  gatewayHeaders?: Record<string, string>;
  /** The fast path's 204 headers (security headers, then the gateway's), once per principal. */
  fastGatewayHeaders?: Record<string, string>;
  /** RFC 7662 introspection response (JSON), computed once per principal. */
  introspection?: string;
}

export interface SessionEntry {
  id: number;
  secretHash: string;
  csrfHash: string;
  identityId: number;
  createdAtMs: number;
  expiresAtMs: number;
  lastSeenAtMs: number;
  /** The principal last built from this entry. */
  principal?: Principal;
}

const NOT_FOUND = Symbol('not-found');
type Cached<T> = T | typeof NOT_FOUND;

export interface VerifierOptions {
  store: Store;
  roles: RoleCatalog;
  usage: UsageTracker;
  keys: KeyRing;
  clock: () => number;
  tokenPrefix: string;
  cacheSize: number;
  cacheTtlMs: number;
  sessionIdleMs: number;
  /**
   * How long cached verifications stay trusted after this instance lost the invalidation
   * channel (PostgreSQL outage). 0: at once every request goes to the store (fail closed).
   */
  outageGraceMs: number;
}

/** Kinds that may be presented as a bearer credential. Refresh tokens only buy access tokens. */
const BEARER_KINDS = new Set(['app', 'personal', 'access']);

/**
 * The verify path. A presented token costs: a checksum check (no store read when wrong), one
 * SHA-256, one LRU look-up; a store read only on a cache miss. Nothing here writes to the store.
 */
export class Verifier {
  private readonly tokens: LRUCache<string, Cached<TokenEntry>>;
  private readonly identities: LRUCache<number, Cached<IdentityEntry>>;
  private readonly sessions: LRUCache<string, Cached<SessionEntry>>;
  /** Bumped on every invalidation: a look-up started before one must not fill the cache. */
  private generation = 0;

  constructor(private readonly o: VerifierOptions) {
    const ttl = o.cacheTtlMs;
    this.tokens = new LRUCache({ max: o.cacheSize, ttl, ttlAutopurge: false });
    this.identities = new LRUCache({ max: Math.max(100, Math.floor(o.cacheSize / 10)), ttl });
    this.sessions = new LRUCache({ max: Math.max(100, Math.floor(o.cacheSize / 10)), ttl });
  }

  /** Entries in each cache, for metrics. */
  sizes(): Record<string, number> {
    return { tokens: this.tokens.size, identities: this.identities.size, sessions: this.sessions.size };
  }

  /**
   * Drops entries past their TTL. The caches are bounded by size anyway, but entries are only
   * dropped when read or evicted: without this, tokens presented once (every grant, exchange and
   * refresh makes one) would hold memory until the cache is full. Run periodically.
   */
  purgeStale(): void {
    this.tokens.purgeStale();
    this.identities.purgeStale();
    this.sessions.purgeStale();
  }

  /** Whether cached entries may be used: not when invalidations may have been missed for too long. */
  private cacheTrusted(): boolean {
    const down = this.o.store.invalidationsDownSinceMs();
    return down === null || (this.o.outageGraceMs > 0 && Date.now() - down < this.o.outageGraceMs);
  }

  /** Applies an invalidation message: `t:<hash>`, `i:<id>`, `s:<hash>`, `r` (roles) or `*`. */
  invalidate(message: string): void {
    this.generation++;
    const kind = message.slice(0, 2);
    if (kind === 't:') this.tokens.delete(message.slice(2));
    else if (kind === 'i:') this.identities.delete(Number(message.slice(2)));
    else if (kind === 's:') this.sessions.delete(message.slice(2));
    else {
      // Roles changed or everything: derived permissions are stale everywhere.
      this.tokens.clear();
      this.identities.clear();
      this.sessions.clear();
    }
  }

  async identity(id: number): Promise<IdentityEntry | null> {
    const hit = this.cacheTrusted() ? this.identities.get(id) : undefined;
    if (hit !== undefined) return hit === NOT_FOUND ? null : hit;
    const gen = this.generation;
    const row = await findIdentityById(this.o.store.db, id);
    const entry = row ? this.identityEntry(row) : NOT_FOUND;
    if (gen === this.generation) this.identities.set(id, entry);
    return entry === NOT_FOUND ? null : entry;
  }

  identityEntry(row: IdentityRow): IdentityEntry {
    const roles = row.roles;
    return {
      id: row.id,
      name: row.name,
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      source: row.source,
      roles,
      roleKeys: new Set(roles.map(roleKey)),
      enabled: row.enabled === 1,
      permissions: this.o.roles.permissionsOf(roles),
      actFor: row.act_for,
      requireDpop: row.require_dpop === 1 || this.o.roles.requireDpop(roles),
    };
  }

  tokenEntry(row: TokenRow): TokenEntry {
    let ceiling = row.ceiling;
    // Exchanges before ceilings existed stored their narrowing here: it limits like a ceiling.
    if (row.permissions) ceiling = ceiling ? intersectGrants(ceiling, row.permissions) : row.permissions;
    return {
      id: row.id,
      kind: row.kind,
      subtype: row.subtype,
      hash: row.token_hash,
      identityId: row.identity_id,
      roles: row.roles,
      ceiling,
      endpoints: row.api_endpoints ? parseEndpointPatterns(row.api_endpoints) : null,
      act: row.act,
      expiresAtMs: row.expires_at_ms,
      revoked: row.revoked === 1,
      spent: row.spent_at_ms !== null,
      parentId: row.parent_id,
      familyId: row.family_id,
      name: row.name,
      createdAtMs: row.created_at_ms,
      scopes: row.scopes,
      jti: row.jti,
      clientId: row.client_id,
      audience: row.audience,
      // A token for another configured audience is introspected, never accepted here.
      bearer: BEARER_KINDS.has(row.kind) && (row.audience === null || row.audience === this.o.keys.audience),
      cnfJkt: row.cnf_jkt ?? null,
    };
  }

  /** Drops a token's cache entry on this instance (after a change only this request made). */
  forget(hash: string): void {
    this.generation++;
    this.tokens.delete(hash);
  }

  /** The cache's answer for a token value (as lookup), or undefined when only the store can tell. */
  cachedEntry(value: string): TokenEntry | null | undefined {
    return this.cacheTrusted() ? this.tokenHit(value) : undefined;
  }

  /** principalFor from the caches alone, or undefined when the identity is not cached. */
  cachedPrincipalFor(token: TokenEntry, via: Principal['via']): Principal | null | undefined {
    return this.cacheTrusted() ? this.principalHit(token, via) : undefined;
  }

  /** The token cache alone (the caller has checked that it may be trusted). */
  private tokenHit(value: string): TokenEntry | null | undefined {
    const hit = this.tokens.get(hashToken(value));
    return hit === NOT_FOUND ? null : hit;
  }

  /** The identity cache alone (the caller has checked that it may be trusted). */
  private principalHit(token: TokenEntry, via: Principal['via']): Principal | null | undefined {
    const identity = this.identities.get(token.identityId);
    if (identity === undefined) return undefined;
    if (identity === NOT_FOUND || !identity.enabled) return null;
    return this.principalOf(token, identity, via);
  }

  /** Finds a stored token by its value (any kind), through the cache. Null when unknown. */
  async lookup(value: string): Promise<TokenEntry | null> {
    // The cache is keyed by hash and only ever holds tokens whose checksum was good, so a hit
    // needs no format check; a miss pays the checksum before any store read.
    const hash = hashToken(value);
    const hit = this.cacheTrusted() ? this.tokens.get(hash) : undefined;
    if (hit !== undefined) return hit === NOT_FOUND ? null : hit;
    const parsed = parseToken(value, this.o.tokenPrefix);
    if (parsed.format === 'bad_checksum') return null;
    const gen = this.generation;
    const row = await findTokenByHash(this.o.store.db, hash);
    const entry: Cached<TokenEntry> = row ? this.tokenEntry(row) : NOT_FOUND;
    // An access JWT is checked cryptographically the first time this instance sees it
    // (signature, kid, alg, iss, aud, nbf, exp); the cached entry then stands for that check.
    if (
      entry !== NOT_FOUND &&
      parsed.format === 'jwt' &&
      entry.kind === 'access' &&
      !(await this.o.keys.verify(value))
    ) {
      // Not cached: this instance may simply not know a freshly rotated key yet.
      return null;
    }
    if (gen === this.generation) this.tokens.set(hash, entry);
    return entry === NOT_FOUND ? null : entry;
  }

  /**
   * The verify hot path: the answer for a bearer token when the caches alone can give it
   * (token and identity cached and trusted), else undefined and the caller awaits
   * authenticateToken. Synchronous, so a cached verify costs no promise and no store access.
   * With `accept`, a principal it refuses is undefined too, and its use is not recorded (the
   * caller hands the request on to a path that asks again).
   */
  cachedPrincipal(value: string, accept?: (principal: Principal) => boolean): Principal | null | undefined {
    const principal = this.peekPrincipal(value);
    if (!principal) return principal;
    if (accept !== undefined && !accept(principal)) return undefined;
    this.recordUse(principal);
    return principal;
  }

  /** cachedPrincipal without recording the use (the caller records it with recordUse, or not). */
  peekPrincipal(value: string): Principal | null | undefined {
    if (!this.cacheTrusted()) return undefined;
    const token = this.tokenHit(value);
    if (!token) return token;
    // Single-use tokens are decided by the store, every time.
    if (token.subtype === 'OneTouch') return undefined;
    if (!token.bearer) return null;
    if (!isLive(token, this.o.clock())) return null;
    return this.principalHit(token, token.kind === 'access' ? 'access' : 'token');
  }

  /** Records the use of the token a cached principal was built from. */
  recordUse(principal: Principal): void {
    if (principal.token) this.o.usage.tokenUsed(principal.token.id, this.o.clock());
  }

  /**
   * Verifies a bearer token value. Null for anything not usable right now. A single-use token
   * is spent by its use; with `spend: false` it is not (a caller about to refuse it anyway).
   */
  async authenticateToken(value: string, opts: { spend?: boolean } = {}): Promise<Principal | null> {
    const token = await this.lookup(value);
    if (!token?.bearer) return null;
    const now = this.o.clock();
    if (!isLive(token, now)) return null;
    const principal = await this.principalFor(token, token.kind === 'access' ? 'access' : 'token');
    if (!principal) return null;
    if (token.subtype === 'OneTouch' && opts.spend !== false) {
      // Single use: one atomic conditional update decides, whatever any cache says.
      const spent = await spendToken(this.o.store.db, token.id, now);
      this.tokens.delete(token.hash);
      if (!spent) return null;
    }
    this.o.usage.tokenUsed(token.id, now);
    return principal;
  }

  /** Builds the principal of a (live) token: effective permissions = token ∩ identity now. */
  async principalFor(token: TokenEntry, via: Principal['via']): Promise<Principal | null> {
    const identity = await this.identity(token.identityId);
    if (!identity?.enabled) return null;
    return this.principalOf(token, identity, via);
  }

  private principalOf(token: TokenEntry, identity: IdentityEntry, via: Principal['via']): Principal {
    // Entries are replaced, never mutated, when anything about them changes: a principal built
    // from these two exact entries stays right, so the hot path builds it once.
    const memo = token.principal;
    if (memo && memo.identity === identity && memo.via === via) return memo;
    const authority = new Authority(
      {
        identityId: identity.id,
        credentialRoles: token.roles,
        identityRoles: identity.roles,
        ceiling: token.ceiling,
        endpoints: token.endpoints,
        singleUse: token.subtype === 'OneTouch',
        actFor: identity.actFor,
      },
      this.o.roles,
    );
    const principal = principalWith({ via, identity, token, session: null }, authority);
    token.principal = principal;
    return principal;
  }

  /**
   * The principal of a client that proved it holds one of the keys its identity registered
   * (private_key_jwt): what the registration planned (roles, ceiling, allow-list) ∩ the
   * identity now, like an app token. Null when the identity is gone or disabled.
   */
  async clientKeyPrincipal(keys: {
    identityId: number;
    roles: readonly string[];
    ceiling: readonly string[];
    endpoints: readonly string[] | null;
  }): Promise<Principal | null> {
    // An allow-list that no longer parses allows nothing (fail closed), not everything.
    const endpoints = keys.endpoints ? parseEndpointPatterns([...keys.endpoints]) : null;
    if (keys.endpoints && !endpoints) return null;
    const identity = await this.identity(keys.identityId);
    if (!identity?.enabled) return null;
    const authority = new Authority(
      {
        identityId: identity.id,
        credentialRoles: [...keys.roles],
        identityRoles: identity.roles,
        ceiling: [...keys.ceiling],
        endpoints,
        singleUse: false,
        actFor: identity.actFor,
      },
      this.o.roles,
    );
    return principalWith({ via: 'client', identity, token: null, session: null }, authority);
  }

  async authenticateSession(secret: string): Promise<Principal | null> {
    if (secret.length !== 43) return null;
    const hash = hashToken(secret);
    let entry = this.cacheTrusted() ? this.sessions.get(hash) : undefined;
    if (entry === undefined) {
      const gen = this.generation;
      const row = await findSessionBySecretHash(this.o.store.db, hash);
      entry = row ? sessionEntry(row, this.o.usage.pendingSessionSeen(row.id)) : NOT_FOUND;
      if (gen === this.generation) this.sessions.set(hash, entry);
    }
    if (entry === NOT_FOUND) return null;
    const now = this.o.clock();
    if (entry.expiresAtMs <= now || entry.lastSeenAtMs + this.o.sessionIdleMs <= now) return null;
    const identity = await this.identity(entry.identityId);
    if (!identity?.enabled) return null;
    entry.lastSeenAtMs = now;
    this.o.usage.sessionSeen(entry.id, now);
    const memo = entry.principal;
    if (memo && memo.identity === identity) return memo;
    const authority = new Authority(
      {
        identityId: identity.id,
        credentialRoles: identity.roles,
        identityRoles: identity.roles,
        ceiling: null,
        endpoints: null,
        singleUse: false,
        actFor: identity.actFor,
      },
      this.o.roles,
    );
    entry.principal = principalWith({ via: 'session', identity, token: null, session: entry }, authority);
    return entry.principal;
  }
}

function principalWith(
  base: Pick<Principal, 'via' | 'identity' | 'token' | 'session'>,
  authority: Authority,
): Principal {
  return {
    ...base,
    authority,
    roles: authority.roles,
    permissions: authority.permissions,
    endpoints: authority.endpoints,
  };
}

/** `pendingSeenMs`: a use not yet written to the store, which the idle clock must count. */
function sessionEntry(row: SessionRow, pendingSeenMs: number | undefined): SessionEntry {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    csrfHash: row.csrf_hash,
    identityId: row.identity_id,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    lastSeenAtMs: Math.max(row.last_seen_at_ms, pendingSeenMs ?? 0),
  };
}
