/**
 * One registry of error codes. Every failure the API returns is one of these, so clients can
 * branch on `code` and `docs/errors.md` can be checked against this list.
 */
export interface ErrorSpec {
  /** HTTP status. */
  status: number;
  /** Stable numeric code, the seed-004 `errorCode`. */
  number: number;
  /** Public message: safe to show to anyone, never contains a secret. */
  message: string;
}

export const ERRORS = {
  invalid_request: { status: 400, number: 1000, message: 'The request is malformed or has invalid fields.' },
  invalid_json: { status: 400, number: 1001, message: 'The request body is not valid JSON.' },
  invalid_date: { status: 400, number: 1002, message: 'The date is not valid.' },
  expiration_in_past: { status: 400, number: 1003, message: 'The expiration must be in the future.' },
  lifetime_exceeded: {
    status: 400,
    number: 1004,
    message: 'The requested lifetime exceeds the maximum allowed for this token kind.',
  },
  invalid_token_value: {
    status: 400,
    number: 1005,
    message: 'The token value is not acceptable for import.',
  },
  multiple_credentials: {
    status: 400,
    number: 1006,
    message: 'More than one different credential was presented; send exactly one.',
  },
  unknown_role: { status: 400, number: 1007, message: 'One or more roles do not exist.' },
  invalid_role_name: { status: 400, number: 1008, message: 'The role name is not valid.' },
  invalid_permission: { status: 400, number: 1009, message: 'One or more permission strings are not valid.' },
  invalid_endpoint_pattern: {
    status: 400,
    number: 1010,
    message: 'An API endpoint pattern is not valid; use "METHOD /path" with optional * wildcards.',
  },
  unknown_identity: { status: 400, number: 1011, message: 'The identity does not exist.' },
  unknown_field: { status: 400, number: 1012, message: 'The request has a field this route does not take.' },
  duplicate_field: {
    status: 400,
    number: 1013,
    message: 'The request names a field twice (names that differ only in case are the same field).',
  },
  invalid_text: {
    status: 400,
    number: 1014,
    message: 'A text value contains a NUL character or an unpaired UTF-16 surrogate.',
  },
  weak_token_value: {
    status: 400,
    number: 1015,
    message: 'The token value is too guessable to import: it needs at least 128 bits of estimated entropy.',
  },
  invalid_grant: {
    status: 400,
    number: 1020,
    message: 'The grant (refresh token, subject token or assertion) is not valid, spent or expired.',
  },
  unsupported_grant_type: { status: 400, number: 1021, message: 'This grant type is not supported.' },
  invalid_scope: {
    status: 400,
    number: 1022,
    message: 'The requested scope is not valid or exceeds what the grant holds.',
  },
  invalid_target: {
    status: 400,
    number: 1023,
    message: 'The requested audience or resource is not one this server issues tokens for.',
  },
  invalid_dpop_proof: { status: 400, number: 1024, message: 'The DPoP proof is missing or not valid.' },
  use_dpop_nonce: { status: 400, number: 1025, message: 'Send the DPoP proof again with the nonce given.' },
  unauthenticated: {
    status: 401,
    number: 2000,
    message: 'Authentication is required or the credential is not valid.',
  },
  invalid_credentials: { status: 401, number: 2001, message: 'The username or password is incorrect.' },
  invalid_client: { status: 401, number: 2002, message: 'Client authentication failed.' },
  permission_denied: { status: 403, number: 3000, message: 'You do not have permission to do this.' },
  role_not_held: {
    status: 403,
    number: 3001,
    message: 'A token cannot carry a role that its identity, or the caller, does not hold.',
  },
  csrf_failed: {
    status: 403,
    number: 3002,
    message: 'The CSRF token is missing or does not match the session.',
  },
  endpoint_not_allowed: {
    status: 403,
    number: 3003,
    message: 'This token is not allowed to call this endpoint.',
  },
  single_use_credential: {
    status: 403,
    number: 3004,
    message: 'A single-use credential cannot be used to obtain other credentials.',
  },
  act_not_allowed: {
    status: 403,
    number: 3005,
    message: 'The caller may not act for this identity.',
  },
  header_not_allowed: {
    status: 403,
    number: 3006,
    message: 'The request carries an X-Tokenward-* header that only Tokenward may set.',
  },
  not_found: { status: 404, number: 4000, message: 'The resource was not found.' },
  route_not_found: { status: 404, number: 4001, message: 'No such route.' },
  method_not_allowed: { status: 405, number: 4050, message: 'The method is not allowed on this route.' },
  conflict: { status: 409, number: 5000, message: 'The request conflicts with the current state.' },
  identity_name_taken: { status: 409, number: 5001, message: 'An identity with this name already exists.' },
  role_name_taken: { status: 409, number: 5002, message: 'A role with this name already exists.' },
  role_read_only: { status: 409, number: 5003, message: 'Built-in roles cannot be changed or deleted.' },
  role_in_use: { status: 409, number: 5004, message: 'The role is still assigned to identities or tokens.' },
  token_exists: { status: 409, number: 5005, message: 'This token already exists.' },
  last_administrator: {
    status: 409,
    number: 5006,
    message: 'This would leave no enabled Administrator; keep at least one.',
  },
  self_delete: { status: 409, number: 5007, message: 'You cannot delete your own identity.' },
  payload_too_large: { status: 413, number: 6000, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, number: 6001, message: 'The content type is not supported.' },
  uri_too_long: { status: 414, number: 6002, message: 'The request URL is too long.' },
  headers_too_large: { status: 431, number: 6003, message: 'The request headers are too large.' },
  request_timeout: { status: 408, number: 6004, message: 'The request took too long to arrive.' },
  rate_limited: { status: 429, number: 7000, message: 'Too many attempts; wait before trying again.' },
  internal_error: { status: 500, number: 9000, message: 'Internal Server Error' },
  store_unavailable: { status: 503, number: 9001, message: 'The store is not reachable; try again shortly.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of every error response (SPEC §4). */
export interface ErrorBody {
  errorCode: number;
  errorMessage: string;
  code: ErrorCode;
}

/**
 * The one error type of Tokenward. `message` is public; `cause` is internal and only logged.
 * `detail` may refine the public message (it must never contain a secret).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail?: string,
    options?: {
      cause?: unknown;
      headers?: Record<string, string>;
      /** Where a standard gives the same error another status in another place (RFC 9449: 400 at the token endpoint, 401 at a resource). */
      status?: number;
    },
  ) {
    super(
      detail ?? ERRORS[code].message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'AppError';
    this.code = code;
    this.status = options?.status ?? ERRORS[code].status;
    this.headers = options?.headers ?? {};
  }

  toBody(): ErrorBody {
    return { errorCode: ERRORS[this.code].number, errorMessage: this.message, code: this.code };
  }
}

export function errorBody(code: ErrorCode, detail?: string): ErrorBody {
  return { errorCode: ERRORS[code].number, errorMessage: detail ?? ERRORS[code].message, code };
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
