import { createHash } from 'node:crypto';
import {
  BUILTIN_ROLE_GRANTS,
  presentedCredential as corePresentedCredential,
  OAUTH_PATHS,
  PermissionSet,
} from '@tokenward/core';
import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { boundJkt, DpopChecker } from './dpop.js';
import { endpointAllowed } from './endpoints.js';
import { type Refusal, refusal } from './errors.js';
import { TtlLru } from './lru.js';
import type { Introspection, Role } from './types.js';

/**
 * Who is calling, as the middleware puts it on the request (`request.tokenward`).
 *
 * @example
 * ```ts
 * app.get('/invoices', async (request) => {
 *   const auth = request.tokenward!;
 *   return { viewer: auth.name, mayWrite: auth.can('billing:write') };
 * });
 * ```
 */
export interface TokenwardAuth {
  /** The identity's id (the JWT `sub`). */
  identityId: number;
  /** The identity's name. */
  name: string;
  /** Roles the token really holds (a narrowed token: only those it holds in full). */
  roles: string[];
  /**
   * Grants the token holds (may contain the patterns `*`, `custom:*`, `custom:*:read`): the
   * effective grants Tokenward states for it, or its roles' when it states none. Ask
   * {@link TokenwardAuth.can} rather than searching this list.
   */
  permissions: string[];
  /** Whether the token holds a permission. */
  can(permission: string): boolean;
  /** `access` for an access JWT; `app`, `personal`, … for an opaque token. */
  tokenType: string;
  /** The verified JWT claims, or the introspection answer for an opaque token. */
  claims: Record<string, unknown>;
  /** The app acting for the identity (token exchange), if any. */
  act?: { sub: string; name: string };
  /** The token's endpoint allow-list, or null when unrestricted. */
  apiEndpoints: string[] | null;
  /** How the token was checked: offline (JWKS) or by introspection. */
  verifiedBy: 'jwks' | 'introspection';
}

/**
 * Options of {@link TokenwardVerifier}.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = {
 *   baseUrl: 'http://localhost:5000',
 *   token: process.env.TOKENWARD_SERVICE_TOKEN, // an app token of this service (Reader is enough)
 * };
 * ```
 */
export interface VerifierOptions {
  /** Where Tokenward listens. */
  baseUrl: string;
  /**
   * This service's own credential (an app token): used to introspect opaque tokens and to read
   * the role → permission map (`GET /api/v1/role`, needs `identities:read`, e.g. role Reader).
   * Without it only access JWTs verify, and only with the `permissions` option or built-in roles.
   */
  token?: string;
  /**
   * Expected `iss`. Default: the `issuer` of the server's RFC 8414 metadata
   * (`/.well-known/oauth-authorization-server`, fetched once, like the JWKS); `tokenward` when
   * the server has no metadata document (versions before the issuer became a URL).
   */
  issuer?: string;
  /**
   * Earlier issuers whose access tokens are still accepted until they expire (default
   * `['tokenward']`, the issuer before it became a URL; `[]` accepts only `issuer`).
   */
  legacyIssuers?: readonly string[];
  /** Expected `aud` (default `tokenward`). */
  audience?: string;
  /**
   * Custom role → permissions map. When given, the map is not fetched from Tokenward; built-in
   * roles need not be listed.
   */
  permissions?: Record<string, readonly string[]>;
  /** How long the fetched role map is trusted, in ms (default 60 000). */
  rolesRefreshMs?: number;
  /** How long an introspection answer is reused, in ms (default 30 000; 0 disables the cache). */
  cacheTtlMs?: number;
  /** Most introspection answers kept (default 10 000). Keys are SHA-256 hashes, never tokens. */
  cacheMax?: number;
  /** Least time between two JWKS fetches caused by an unknown `kid`, in ms (default 5 000). */
  jwksCooldownMs?: number;
  /**
   * Also introspect access JWTs (after their signature checks), so a revoked one or a
   * demoted identity is refused at once rather than when the JWT expires. Default false.
   */
  introspectJwts?: boolean;
  /** Refuse a token with an endpoint allow-list outside it (default true). */
  enforceApiEndpoints?: boolean;
  /** Leeway for `exp`/`nbf`, in seconds (default 5). */
  clockToleranceSeconds?: number;
  /** Milliseconds since the epoch (tests pass a fake clock). */
  clock?: () => number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /**
   * This service's public URL (e.g. `https://api.example.com`) when it runs behind a proxy: a
   * DPoP proof's `htu` may name it plus the request path, as well as the URL the request
   * arrived at.
   */
  publicUrl?: string;
  /** How far a DPoP proof's `iat` may be from now, either way, in seconds (default 60). */
  dpopWindowSeconds?: number;
  /** Most DPoP proofs remembered against replay in this process (default 100 000). */
  dpopReplayCacheMax?: number;
}

/**
 * The result of verifying a request's credential.
 *
 * @example
 * ```ts
 * const outcome: VerifyOutcome = await verifier.verifyToken(token);
 * if (!outcome.ok) console.log(outcome.refusal.status); // 401, 403, 400 or 503
 * ```
 */
export type VerifyOutcome = { ok: true; auth: TokenwardAuth } | { ok: false; refusal: Refusal };

/**
 * Reads a header by lowercase name; arrays are repeated headers.
 *
 * @example
 * ```ts
 * const read: HeaderReader = (name) => request.headers[name];
 * ```
 */
export type HeaderReader = (name: string) => string | string[] | undefined | null;

/**
 * The credential a request presents (SPEC §3): `Authorization: Bearer`, or
 * `X-Tokenward-Authorization` / `X-PSU-Authorization` / `Authtoken` with or without `Bearer `.
 * Two different values are refused (400). The reading is @tokenward/core's, the server's own.
 *
 * @example
 * ```ts
 * const found = presentedCredential((name) => req.headers.get(name));
 * if (found && 'token' in found) console.log('a token was presented');
 * ```
 */
export function presentedCredential(
  read: HeaderReader,
): { token: string; dpop?: true } | { refusal: Refusal } | null {
  const found = corePresentedCredential(read);
  if (found === null) return null;
  if ('error' in found) return { refusal: refusal(found.error) };
  return found;
}

/**
 * A claim of an introspection answer that should be a list of strings: the document types the
 * claims of an active answer as unknown, so they are read as what they are.
 */
function stringList(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null;
}

type Cached = { active: false } | { active: true; info: Introspection };

class UnavailableError extends Error {}

/**
 * Verifies Tokenward tokens for a service of its own: access JWTs offline against the JWKS
 * (EdDSA only; an unknown `kid` refetches the key set, so key rotation needs nothing), and
 * anything else — `tw_app_…`, `tw_pat_…`, imported foreign values — by introspection with a
 * short bounded cache keyed by the token's SHA-256. The framework adapters
 * (`@tokenward/client/fastify`, `@tokenward/client/express`, {@link withTokenward}) use one.
 *
 * @example
 * ```ts
 * import { TokenwardVerifier } from '@tokenward/client';
 *
 * const verifier = new TokenwardVerifier({ baseUrl: 'http://localhost:5000', token: process.env.TOKENWARD_SERVICE_TOKEN });
 * const outcome = await verifier.verifyToken(presentedToken);
 * if (outcome.ok && outcome.auth.can('billing:read')) { ... }
 * ```
 */
export class TokenwardVerifier {
  private readonly baseUrl: string;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly cache: TtlLru<Cached>;
  private readonly clock: () => number;
  private readonly fetchImpl: typeof fetch;
  private roleMap: Map<string, readonly string[]> | null = null;
  private roleMapAtMs = 0;
  private roleMapLoading: Promise<void> | null = null;
  private issuersLoading: Promise<string[]> | null = null;
  private readonly dpop: DpopChecker;

  constructor(private readonly o: VerifierOptions) {
    if (!/^https?:\/\//i.test(o.baseUrl)) throw new TypeError('baseUrl must be an http:// or https:// URL.');
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.clock = o.clock ?? Date.now;
    this.fetchImpl = o.fetch ?? globalThis.fetch;
    const fetchImpl = this.fetchImpl;
    this.jwks = createRemoteJWKSet(new URL(`${this.baseUrl}/.well-known/jwks.json`), {
      cooldownDuration: o.jwksCooldownMs ?? 5_000,
      cacheMaxAge: 10 * 60_000,
      ...(o.fetch ? { [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init) } : {}),
    });
    this.cache = new TtlLru<Cached>(o.cacheMax ?? 10_000, this.clock);
    this.dpop = new DpopChecker({
      windowSeconds: o.dpopWindowSeconds ?? 60,
      clock: this.clock,
      replayCacheMax: o.dpopReplayCacheMax ?? 100_000,
    });
    if (o.permissions) {
      this.roleMap = new Map(Object.entries(o.permissions).map(([k, v]) => [k.toLowerCase(), [...v]]));
    }
  }

  /**
   * Verifies the credential of a request and checks the token's endpoint allow-list against
   * `method` and `url`. A token bound to a DPoP key (`cnf.jkt`, RFC 9449) is accepted only as
   * `Authorization: DPoP` with a valid proof of that key for this request (`origin`: the
   * `scheme://host` it arrived at, or the `publicUrl` option); `Authorization: DPoP` with an
   * unbound token is refused.
   *
   * @example
   * ```ts
   * const outcome = await verifier.verifyRequest((n) => req.headers.get(n), req.method, new URL(req.url).pathname);
   * if (!outcome.ok) return Response.json(outcome.refusal.body, { status: outcome.refusal.status });
   * ```
   */
  async verifyRequest(
    read: HeaderReader,
    method: string,
    url: string,
    origin?: string,
  ): Promise<VerifyOutcome> {
    const presented = presentedCredential(read);
    if (presented === null) return { ok: false, refusal: refusal('unauthenticated') };
    if ('refusal' in presented) return { ok: false, refusal: presented.refusal };
    const outcome = await this.verifyToken(presented.token);
    if (!outcome.ok) return outcome;
    const bound = boundJkt(outcome.auth.claims);
    if (bound !== null || presented.dpop) {
      // A bound token as Bearer, or DPoP with a bearer token: refused like a bad token.
      if (bound === null || !presented.dpop) return { ok: false, refusal: refusal('unauthenticated') };
      const raw = read('dpop');
      const proofs = raw === undefined || raw === null ? [] : typeof raw === 'string' ? [raw] : raw;
      const urls = [this.o.publicUrl, origin]
        .filter((b): b is string => typeof b === 'string')
        .map((b) => b.replace(/\/+$/, '') + url);
      const problem = await this.dpop.check({
        proofs,
        method,
        urls,
        accessToken: presented.token,
        boundJkt: bound,
      });
      if (problem !== null) return { ok: false, refusal: refusal('invalid_dpop_proof', problem) };
    }
    const endpoints = outcome.auth.apiEndpoints;
    if (endpoints && this.o.enforceApiEndpoints !== false && !endpointAllowed(endpoints, method, url)) {
      return { ok: false, refusal: refusal('endpoint_not_allowed') };
    }
    return outcome;
  }

  /**
   * Verifies one token value.
   *
   * @example
   * ```ts
   * const outcome = await verifier.verifyToken('tw_app_…');
   * console.log(outcome.ok ? outcome.auth.name : outcome.refusal.body.code);
   * ```
   */
  async verifyToken(token: string): Promise<VerifyOutcome> {
    try {
      const jwt = await this.verifyJwt(token);
      if (jwt === 'invalid') return { ok: false, refusal: refusal('unauthenticated') };
      if (jwt !== 'not-ours' && !this.o.introspectJwts)
        return { ok: true, auth: await this.authFromJwt(jwt) };
      const info = await this.introspect(token);
      if (!info) return { ok: false, refusal: refusal('unauthenticated') };
      return { ok: true, auth: await this.authFromIntrospection(info, jwt === 'not-ours' ? null : jwt) };
    } catch (err) {
      if (err instanceof UnavailableError) {
        return { ok: false, refusal: refusal('tokenward_unavailable') };
      }
      throw err;
    }
  }

  /** Forgets cached introspection answers (e.g. after revoking a token yourself). */
  clearCache(): void {
    this.cache.clear();
  }

  /**
   * An access JWT signed by a key in the JWKS: its claims, or `invalid` (expired, bad
   * signature, wrong issuer…). `not-ours` for anything else, which goes to introspection.
   */
  private async verifyJwt(token: string): Promise<JWTPayload | 'invalid' | 'not-ours'> {
    if (token.split('.').length !== 3) return 'not-ours';
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return 'not-ours';
    }
    // Only our algorithm: never `none`, never HMAC. A foreign JWT (imported value) is opaque to us.
    if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') return 'not-ours';
    // Outside the try: no issuer known is Tokenward unavailable (503), not a foreign token.
    const issuers = await this.issuers();
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['EdDSA'],
        // RFC 9068 §4: an access token says so in its header (jose also takes application/at+jwt).
        typ: 'at+jwt',
        issuer: issuers,
        audience: this.o.audience ?? 'tokenward',
        currentDate: new Date(this.clock()),
        clockTolerance: this.o.clockToleranceSeconds ?? 5,
      });
      return payload;
    } catch (err) {
      // A kid not in the key set (even after a refetch), or the key set unreachable: let
      // Tokenward decide by introspection.
      if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSTimeout)
        return 'not-ours';
      if (err instanceof joseErrors.JOSEError) return 'invalid';
      return 'not-ours';
    }
  }

  /**
   * The accepted issuers: the configured or discovered one, then the legacy ones. The metadata
   * is fetched once; a failed fetch is retried on the next token (UnavailableError meanwhile:
   * without the issuer no JWT can be accepted).
   */
  private issuers(): Promise<string[]> {
    if (!this.issuersLoading) {
      this.issuersLoading = (async () => {
        const issuer = this.o.issuer ?? (await this.discoverIssuer());
        const legacy = this.o.legacyIssuers ?? ['tokenward'];
        return [issuer, ...legacy.filter((i) => i !== issuer)];
      })();
      this.issuersLoading.catch(() => {
        this.issuersLoading = null;
      });
    }
    return this.issuersLoading;
  }

  private async discoverIssuer(): Promise<string> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + OAUTH_PATHS.authorizationServerMetadata, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      throw new UnavailableError('Tokenward is not reachable', { cause: err });
    }
    // A server from before discovery existed: its issuer was the fixed `tokenward`.
    if (res.status === 404) return 'tokenward';
    if (res.status !== 200) throw new UnavailableError(`Tokenward answered ${res.status}`);
    const body = (await res.json().catch(() => null)) as { issuer?: unknown } | null;
    if (typeof body?.issuer !== 'string' || body.issuer === '') {
      throw new UnavailableError('The authorization server metadata has no issuer');
    }
    return body.issuer;
  }

  private async introspect(token: string): Promise<Introspection | null> {
    const key = createHash('sha256').update(token, 'utf8').digest('hex');
    const hit = this.cache.get(key);
    if (hit) return hit.active ? hit.info : null;
    if (!this.o.token) return null;
    const info = (await this.get('/api/v1/token/introspect', { token })) as Introspection;
    const ttl = this.o.cacheTtlMs ?? 30_000;
    if (!info.active) {
      this.cache.set(key, { active: false }, ttl);
      return null;
    }
    const untilExp = typeof info.exp === 'number' ? info.exp * 1000 - this.clock() : ttl;
    this.cache.set(key, { active: true, info }, Math.min(ttl, untilExp));
    return info;
  }

  /** GET (no body) or POST (body) with this service's credential; UnavailableError on failure. */
  private async get(path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${this.o.token ?? ''}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      throw new UnavailableError('Tokenward is not reachable', { cause: err });
    }
    // Our own credential refused, or a server error: we cannot tell whether the caller's token is good.
    if (res.status !== 200) throw new UnavailableError(`Tokenward answered ${res.status}`);
    return res.json();
  }

  /** Grants of a role: built-ins known, custom ones from the option or the fetched map. */
  private async grantsOf(roles: readonly string[]): Promise<string[]> {
    const unknown = roles.filter((r) => !this.builtin(r) && !this.roleMap?.has(r.toLowerCase()));
    const stale = this.clock() - this.roleMapAtMs > (this.o.rolesRefreshMs ?? 60_000);
    const needsFetch = !this.o.permissions && this.o.token && (stale || unknown.length > 0);
    // An unknown role refetches at most every 5 s: a role created a moment ago becomes known.
    if (needsFetch && (stale || this.clock() - this.roleMapAtMs > 5_000)) await this.loadRoles();
    const grants: string[] = [];
    for (const r of roles) grants.push(...(this.builtin(r) ?? this.roleMap?.get(r.toLowerCase()) ?? []));
    return [...new Set(grants)];
  }

  private builtin(role: string): readonly string[] | undefined {
    const name = Object.keys(BUILTIN_ROLE_GRANTS).find((n) => n.toLowerCase() === role.toLowerCase());
    return name === undefined ? undefined : BUILTIN_ROLE_GRANTS[name];
  }

  private async loadRoles(): Promise<void> {
    if (!this.roleMapLoading) {
      this.roleMapLoading = (async () => {
        try {
          const roles = (await this.get('/api/v1/role')) as Role[];
          this.roleMap = new Map(roles.map((r) => [r.name.toLowerCase(), r.permissions]));
        } catch (err) {
          // Keep the previous map; without any, custom permissions cannot be decided.
          if (!this.roleMap) throw err;
        } finally {
          this.roleMapAtMs = this.clock();
          this.roleMapLoading = null;
        }
      })();
    }
    return this.roleMapLoading;
  }

  /**
   * What the token may do, decided with @tokenward/core's permission sets as the server
   * decides. When Tokenward stated the token's effective grants — an access JWT's `perms`
   * claim (set whenever they are narrower than everything), an introspection's `grants` —
   * those are the answer: they already account for its roles, its identity's roles and its
   * ceiling (a narrowed token holds less than its roles say). Otherwise (an Administrator's
   * JWT, tokens from older versions) the grants of its roles.
   */
  private async build(
    base: Omit<TokenwardAuth, 'permissions' | 'can'>,
    stated: readonly string[] | null,
  ): Promise<TokenwardAuth> {
    const set = new PermissionSet(stated ?? (await this.grantsOf(base.roles)));
    return { ...base, permissions: [...set.grants], can: (p: string) => set.has(p) };
  }

  private async authFromJwt(claims: JWTPayload): Promise<TokenwardAuth> {
    const roles = Array.isArray(claims.roles)
      ? claims.roles.filter((r): r is string => typeof r === 'string')
      : [];
    const perms = Array.isArray(claims.perms)
      ? claims.perms.filter((p): p is string => typeof p === 'string')
      : null;
    const act = claims.act as { sub: string; name: string } | undefined;
    return this.build(
      {
        identityId: Number(claims.sub),
        name: typeof claims.name === 'string' ? claims.name : '',
        roles,
        tokenType: 'access',
        claims: { ...claims },
        ...(act && typeof act === 'object' ? { act } : {}),
        apiEndpoints: Array.isArray(claims.api_endpoints) ? (claims.api_endpoints as string[]) : null,
        verifiedBy: 'jwks',
      },
      perms,
    );
  }

  private async authFromIntrospection(
    info: Introspection,
    claims: JWTPayload | null,
  ): Promise<TokenwardAuth> {
    const grants = Array.isArray(info.grants)
      ? info.grants.filter((g): g is string => typeof g === 'string')
      : claims && Array.isArray(claims.perms)
        ? (claims.perms as string[])
        : null;
    const act = (info.act ?? claims?.act) as { sub: string; name: string } | undefined;
    return this.build(
      {
        identityId: Number(info.sub),
        name: typeof info.username === 'string' ? info.username : '',
        roles: stringList(info.roles) ?? [],
        // `kind` (app, personal, access, refresh); older servers said it in `token_type`.
        tokenType:
          typeof info.kind === 'string'
            ? info.kind
            : typeof info.token_type === 'string' && !/^(bearer|dpop)$/i.test(info.token_type)
              ? info.token_type
              : 'unknown',
        claims: claims ? { ...claims, ...info } : { ...info },
        ...(act && typeof act === 'object' ? { act } : {}),
        apiEndpoints: stringList(info.api_endpoints),
        verifiedBy: 'introspection',
      },
      grants,
    );
  }
}
