// The subpath, not the package: the console's bundle takes this file and must not pull Node's crypto.
import { ASYMMETRIC_ALGORITHMS } from '@tokenward/core/oauth';

/**
 * The JSON body of every Tokenward error response (SPEC §4), and of the middleware's own.
 *
 * @example
 * ```ts
 * const body: ErrorBody = { errorCode: 3000, errorMessage: 'You do not have permission to do this.', code: 'permission_denied' };
 * ```
 */
export interface ErrorBody {
  errorCode: number;
  errorMessage: string;
  code: string;
}

/**
 * An error answer from Tokenward (`status` and the body's `code`/`errorMessage`), or a failure
 * to reach it (`status` 0, `code` `connection_failed`).
 *
 * @example
 * ```ts
 * try {
 *   await tw.appTokens.get(42);
 * } catch (err) {
 *   if (err instanceof TokenwardError && err.status === 404) console.log('no such token');
 *   else throw err;
 * }
 * ```
 */
export class TokenwardError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** Stable snake_case code (`unauthenticated`, `permission_denied`, …). */
  readonly code: string;
  /** Numeric code of the body (`errorCode`), 0 when there was none. */
  readonly errorCode: number;

  constructor(status: number, body: Partial<ErrorBody>, options?: { cause?: unknown }) {
    super(body.errorMessage ?? `Tokenward answered HTTP ${status}.`, options);
    this.name = 'TokenwardError';
    this.status = status;
    this.code = body.code ?? (status === 0 ? 'connection_failed' : `http_${status}`);
    this.errorCode = body.errorCode ?? 0;
  }
}

/**
 * Error bodies the middleware answers with (same numbers as the Tokenward server's registry).
 *
 * @example
 * ```ts
 * MIDDLEWARE_ERRORS.unauthenticated.status; // 401
 * ```
 */
export const MIDDLEWARE_ERRORS = {
  unauthenticated: {
    status: 401,
    body: {
      errorCode: 2000,
      errorMessage: 'Authentication is required or the credential is not valid.',
      code: 'unauthenticated',
    },
  },
  multiple_credentials: {
    status: 400,
    body: {
      errorCode: 1006,
      errorMessage: 'More than one different credential was presented; send exactly one.',
      code: 'multiple_credentials',
    },
  },
  invalid_dpop_proof: {
    // At a resource a wrong DPoP proof is a 401 (RFC 9449 §7.1).
    status: 401,
    body: {
      errorCode: 1024,
      errorMessage: 'The DPoP proof is missing or not valid.',
      code: 'invalid_dpop_proof',
    },
  },
  permission_denied: {
    status: 403,
    body: {
      errorCode: 3000,
      errorMessage: 'You do not have permission to do this.',
      code: 'permission_denied',
    },
  },
  endpoint_not_allowed: {
    status: 403,
    body: {
      errorCode: 3003,
      errorMessage: 'This token is not allowed to call this endpoint.',
      code: 'endpoint_not_allowed',
    },
  },
  tokenward_unavailable: {
    status: 503,
    body: {
      errorCode: 9002,
      errorMessage: 'The token could not be verified because Tokenward is not reachable; try again shortly.',
      code: 'tokenward_unavailable',
    },
  },
} as const satisfies Record<string, { status: number; body: ErrorBody }>;

/**
 * A refusal the middleware answers with: HTTP status and SPEC §4 body.
 *
 * @example
 * ```ts
 * const r: Refusal = refusal('permission_denied');
 * reply.code(r.status).send(r.body);
 * ```
 */
export interface Refusal {
  status: number;
  body: ErrorBody;
}

/**
 * Builds a refusal, optionally with a more precise public message (never put a secret in it).
 *
 * @example
 * ```ts
 * const guard: Guard = (auth) => (auth.identityId === 1 ? null : refusal('permission_denied', 'Only the owner may do this.'));
 * ```
 */
export function refusal(code: keyof typeof MIDDLEWARE_ERRORS, message?: string): Refusal {
  const e = MIDDLEWARE_ERRORS[code];
  return { status: e.status, body: { ...e.body, ...(message ? { errorMessage: message } : {}) } };
}

/**
 * The `WWW-Authenticate` of a 401 the middleware answers (RFC 6750 §3; RFC 9449 §7.1 for a DPoP
 * refusal, which names the algorithms proofs may use).
 *
 * @example
 * ```ts
 * if (r.status === 401) res.setHeader('www-authenticate', wwwAuthenticate(r));
 * ```
 */
export function wwwAuthenticate(r: Refusal): string {
  return r.body.code === 'invalid_dpop_proof'
    ? `Bearer, DPoP algs="${ASYMMETRIC_ALGORITHMS.join(' ')}", error="invalid_dpop_proof"`
    : 'Bearer';
}
