import {
  AppError,
  ASYMMETRIC_ALGORITHMS,
  formDecoded,
  identityNamed,
  JWT_BEARER_ASSERTION,
} from '@tokenward/core';
import {
  countAttempt,
  findClientKeys,
  findIdentityById,
  findIdentityByName,
  type Store,
} from '@tokenward/store';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import type { BearerFailureLimiter } from './attempt-limiter.js';
import type { Principal, Verifier } from './verifier.js';

/** Longest life an RFC 7523 client assertion may have left when it arrives. */
export const MAX_ASSERTION_TTL_MS = 5 * 60_000;
/** Clock skew allowed on an assertion's `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_S = 30;

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'bearer';

/** What a request to an OAuth endpoint presented to authenticate its client. */
export interface ClientAuthRequest {
  /** `Authorization: Basic`, as sent (each part still form-urlencoded, RFC 6749 §2.3.1), or null. */
  basic: { username: string; password: string } | null;
  /** The caller the auth hook resolved from a Bearer credential or a session, or null. */
  bearer: Principal | null;
  body: {
    client_id?: string | undefined;
    client_secret?: string | undefined;
    client_assertion_type?: string | undefined;
    client_assertion?: string | undefined;
  };
  ip: string;
}

export interface AuthenticatedClient {
  principal: Principal;
  method: ClientAuthMethod;
}

export interface ClientAuthenticatorDeps {
  store: Store;
  verifier: Verifier;
  failures: Pick<BearerFailureLimiter, 'check' | 'failed'>;
  clock: () => number;
  /** Accepted `aud` values of a client assertion: the issuer and the endpoints' URLs. */
  audiences: readonly string[];
}

/** Failed client authentication (RFC 6749 §5.2): 401 with a Basic challenge. */
export function invalidClient(detail?: string): AppError {
  return new AppError('invalid_client', detail, {
    headers: { 'www-authenticate': 'Basic realm="tokenward", charset="UTF-8"' },
  });
}

/**
 * Client authentication of the token, introspection and revocation endpoints, in one place:
 * `client_secret_basic`, `client_secret_post` (client_id = an identity's name or id, secret =
 * one of that identity's live app tokens: the client is that token's principal),
 * `private_key_jwt` (RFC 7523, with a key the identity registered) and Bearer (the auth hook's
 * caller). One method per request; a failure counts toward the address's guessing limit.
 */
export class ClientAuthenticator {
  constructor(private readonly deps: ClientAuthenticatorDeps) {}

  /**
   * The authenticated client, or null when the request presents no client credential (a bare
   * `client_id` authenticates nothing). Throws 401 invalid_client for one that fails, 400
   * invalid_request for two at once.
   */
  async authenticate(req: ClientAuthRequest): Promise<AuthenticatedClient | null> {
    const b = req.body;
    const post = b.client_secret !== undefined;
    const jwt = b.client_assertion !== undefined || b.client_assertion_type !== undefined;
    const presented = [req.basic !== null, post, jwt, req.bearer !== null].filter(Boolean).length;
    if (presented > 1) {
      throw new AppError('invalid_request', 'Use exactly one client authentication method.');
    }
    if (presented === 0) return null;
    if (req.bearer) {
      if (b.client_id !== undefined && !identityNamed(b.client_id, req.bearer.identity, ID_OR_NAME)) {
        throw invalidClient('client_id does not name the authenticated client.');
      }
      return { principal: req.bearer, method: 'bearer' };
    }
    this.deps.failures.check(req.ip);
    let found: AuthenticatedClient | null;
    if (req.basic) {
      const id = formDecoded(req.basic.username);
      const secret = formDecoded(req.basic.password);
      found =
        id !== null && secret !== null && (b.client_id === undefined || b.client_id === id)
          ? await this.secret(id, secret, 'client_secret_basic')
          : null;
    } else if (post) {
      found =
        b.client_id !== undefined && b.client_secret !== undefined
          ? await this.secret(b.client_id, b.client_secret, 'client_secret_post')
          : null;
    } else found = await this.assertion(b);
    if (!found) {
      await this.deps.failures.failed(req.ip);
      throw invalidClient();
    }
    return found;
  }

  /** client_secret_*: the secret is one of the named identity's live app tokens. */
  private async secret(
    clientId: string,
    secret: string,
    method: 'client_secret_basic' | 'client_secret_post',
  ): Promise<AuthenticatedClient | null> {
    const principal = await identityToken(this.deps.verifier, clientId, secret, CLIENT_SECRET);
    return principal ? { principal, method } : null;
  }

  /** private_key_jwt (RFC 7523 §2.2, §3). Null for anything not a valid, fresh, unused assertion. */
  private async assertion(b: ClientAuthRequest['body']): Promise<AuthenticatedClient | null> {
    if (b.client_assertion_type !== JWT_BEARER_ASSERTION || b.client_assertion === undefined) return null;
    let clientId: unknown;
    try {
      const claims = decodeJwt(b.client_assertion);
      clientId = claims.iss;
    } catch {
      return null;
    }
    if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 256) return null;
    if (b.client_id !== undefined && b.client_id !== clientId) return null;
    const db = this.deps.store.db;
    const identity = /^[0-9]{1,15}$/.test(clientId)
      ? await findIdentityById(db, Number(clientId))
      : await findIdentityByName(db, clientId);
    if (identity?.enabled !== 1) return null;
    const keys = await findClientKeys(db, identity.id);
    if (!keys) return null;
    const now = this.deps.clock();
    let payload: { exp?: number; jti?: string };
    try {
      const set = createLocalJWKSet({ keys: keys.keys } as JSONWebKeySet);
      ({ payload } = await jwtVerify(b.client_assertion, set, {
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        issuer: clientId,
        subject: clientId,
        audience: [...this.deps.audiences],
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(now),
      }));
    } catch {
      return null;
    }
    const expMs = (payload.exp ?? 0) * 1000;
    const jti = payload.jti;
    if (expMs > now + MAX_ASSERTION_TTL_MS + CLOCK_TOLERANCE_S * 1000) return null;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) return null;
    // Single use, across every instance: one atomic count in the store, kept past `exp`.
    const windowMs = expMs - now + CLOCK_TOLERANCE_S * 2000;
    const seen = await countAttempt(db, `jti:client:${identity.id}:${jti}`, now, windowMs);
    if (seen.count > 1) return null;
    const principal = await this.deps.verifier.clientKeyPrincipal(keys);
    return principal ? { principal, method: 'private_key_jwt' } : null;
  }
}

const ID_OR_NAME = { email: false, id: true } as const;
const CLIENT_SECRET = { ref: ID_OR_NAME, kinds: ['app'] } as const;

/**
 * "Identity ref + token value → principal": the principal of `token` when it is a live token
 * of one of `rule.kinds` whose identity `ref` names, else null. HTTP Basic on every route
 * (name or email, app or personal token) and client secrets (name or id, app token) both
 * decide through this one function.
 */
export async function identityToken(
  verifier: Pick<Verifier, 'authenticateToken'>,
  ref: string,
  token: string,
  rule: { ref: { email: boolean; id: boolean }; kinds: readonly string[] },
): Promise<Principal | null> {
  const principal = await verifier.authenticateToken(token, { spend: false });
  if (!principal?.token || !rule.kinds.includes(principal.token.kind)) return null;
  return identityNamed(ref, principal.identity, rule.ref) ? principal : null;
}

/** HTTP Basic on any route: username = the identity's name or email, password = an app or personal token. */
export const BASIC_CREDENTIAL = { ref: { email: true, id: false }, kinds: ['app', 'personal'] } as const;
