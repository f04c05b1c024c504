import { randomUUID } from 'node:crypto';
import { STATUS_CODES as REASON_PHRASES } from 'node:http';
import type { Socket } from 'node:net';
import {
  AppError,
  ASYMMETRIC_ALGORITHMS,
  CREDENTIAL_HEADERS,
  ERRORS,
  type ErrorBody,
  type ErrorCode,
  errorBody,
} from '@tokenward/core';
import { classifyStoreError } from '@tokenward/store';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Errors of this route are RFC 6749 §5.2 objects (`error`, `error_description`) beside the
     * SPEC §4 fields: the OAuth token, introspection and revocation endpoints.
     */
    oauthErrors?: boolean;
  }
}

/** Where each error code is explained: `${ERRORS_DOCS_URL}#<code>` (docs/errors.md has an anchor per code). */
export const ERRORS_DOCS_URL = 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md';

/** Every error answer: the SPEC §4 fields, the request's id (also in the log) and its docs entry. */
export interface PublicErrorBody extends ErrorBody {
  requestId: string;
  docs: string;
}

/** The link to a code's entry in docs/errors.md. */
export function errorDocsUrl(code: ErrorCode): string {
  return `${ERRORS_DOCS_URL}#${code}`;
}

/** A request id: unique across instances and restarts, so a caller can quote it to an operator. */
export function newRequestId(): string {
  return `req_${randomUUID().replace(/-/g, '')}`;
}

/** The SPEC §4 body with the request id and the docs link added. */
export function publicErrorBody(body: ErrorBody, requestId: string): PublicErrorBody {
  return { ...body, requestId, docs: errorDocsUrl(body.code) };
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_request',
};

/** Maps any error to the SPEC §4 body. Public messages only; causes go to the log. */
export function toErrorResponse(err: unknown): {
  status: number;
  body: ReturnType<typeof errorBody>;
  headers: Record<string, string>;
} {
  if (err instanceof AppError) return { status: err.status, body: err.toBody(), headers: err.headers };
  const fe = err as Partial<FastifyError> & {
    validation?: Array<{ instancePath?: string; message?: string }>;
  };
  if (fe.validation && fe.validation.length > 0) {
    const first = fe.validation[0]!;
    const where = `${fe.validationContext ?? 'body'}${first.instancePath ?? ''}`.replace(/\//g, '.');
    // Ajv's message names the field and the rule, never the value sent.
    return {
      status: 400,
      body: errorBody('invalid_request', `Invalid ${where}: ${first.message ?? 'not valid'}.`),
      headers: {},
    };
  }
  if (fe instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, body: errorBody('invalid_json'), headers: {} };
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) {
    const status = mapped === 'invalid_json' || mapped === 'invalid_request' ? 400 : (fe.statusCode ?? 400);
    return { status, body: errorBody(mapped), headers: {} };
  }
  const status = fe.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: errorBody(STATUS_CODES[status] ?? 'invalid_request'), headers: {} };
  }
  // What a store error means is the store package's knowledge (classifyStoreError):
  switch (classifyStoreError(err)) {
    // Connection lost or refused, a timeout, a lock not granted, the schema missing or behind:
    // not the caller's fault, and worth retrying.
    case 'unavailable':
      return { status: 503, body: errorBody('store_unavailable'), headers: { 'retry-after': '1' } };
    // A value from the request the store cannot hold or compare: an id beyond PostgreSQL's
    // integer range, NUL in text, a number that is not finite (Ajv coerces "1e309" in a query
    // string to Infinity). Found by test/hostile-requests.test.ts; each was a 500.
    case 'bad_value':
      return {
        status: 400,
        body: errorBody('invalid_request', 'A value in the request is out of range or is not valid text.'),
        headers: {},
      };
    // A constraint refused the write (e.g. two requests creating the same name at once).
    case 'conflict':
      return { status: 409, body: errorBody('conflict'), headers: {} };
    default:
      return { status: 500, body: errorBody('internal_error'), headers: {} };
  }
}

/** Tokenward codes that are RFC 6749 / 7009 / 8693 / 9449 error codes of the same meaning. */
const OAUTH_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_dpop_proof',
  'use_dpop_nonce',
]);

/** The RFC 6749 §5.2 error object beside the SPEC §4 body. */
export interface OAuthErrorBody extends PublicErrorBody {
  error: string;
  error_description: string;
}

type ErrorResponse = ReturnType<typeof toErrorResponse>;

/**
 * An error of an OAuth endpoint as RFC 6749 §5.2 has it. Where a standard names the failure
 * otherwise, the Tokenward code follows it: a scope the grant does not hold is 400
 * `invalid_scope` (not 403 `role_not_held`); any 401 is failed client authentication,
 * `invalid_client`. Other codes keep their status and get the nearest `error`: 400s
 * `invalid_request`, 403s `unauthorized_client`, 5xx and 429 `server_error` /
 * `temporarily_unavailable`. Never cached (RFC 6749 §5.1).
 */
export function oauthErrorResponse(
  r: ErrorResponse,
  bearerPresented: boolean,
): ErrorResponse & { error: string } {
  let { status, body } = r;
  const headers: Record<string, string> = { ...r.headers, 'cache-control': 'no-store', pragma: 'no-cache' };
  if (body.code === 'role_not_held') {
    body = errorBody('invalid_scope', body.errorMessage);
    status = 400;
  } else if (status === 401 && body.code !== 'invalid_client') {
    body = errorBody('invalid_client');
  }
  if (status === 401 && headers['www-authenticate'] === undefined) {
    // RFC 6749 §5.2: the scheme the client used, Basic when it used none; RFC 6750 §3.1 for Bearer.
    headers['www-authenticate'] = bearerPresented
      ? 'Bearer realm="tokenward", error="invalid_token"'
      : 'Basic realm="tokenward", charset="UTF-8"';
  }
  const error = OAUTH_CODES.has(body.code)
    ? body.code
    : status === 401
      ? 'invalid_client'
      : status === 403
        ? 'unauthorized_client'
        : status === 429 || status === 503
          ? 'temporarily_unavailable'
          : status >= 500
            ? 'server_error'
            : 'invalid_request';
  return { status, body, headers, error };
}

/** Whether the request carries a Bearer credential (for the scheme of a 401's challenge). */
function bearerPresented(request: FastifyRequest): boolean {
  const h = request.headers;
  return (
    /^bearer\s/i.test(h.authorization ?? '') ||
    h['x-tokenward-authorization'] !== undefined ||
    h['x-psu-authorization'] !== undefined ||
    h.authtoken !== undefined
  );
}

const DPOP_ALGS = ASYMMETRIC_ALGORITHMS.join(' ');

/**
 * The `WWW-Authenticate` of a 401 (RFC 6750 §3, RFC 9449 §7.1): a Bearer and a DPoP challenge,
 * with `error="invalid_token"` on the scheme of a token that was presented and refused, the
 * DPoP error (`invalid_dpop_proof`, `use_dpop_nonce`) on the DPoP one, and no error when no
 * token was presented.
 */
export function wwwAuthenticate(request: FastifyRequest, code: string): string {
  let bearerError = '';
  let dpopError = '';
  if (code === 'invalid_dpop_proof' || code === 'use_dpop_nonce') dpopError = `, error="${code}"`;
  else {
    const auth = request.headers.authorization;
    if (typeof auth === 'string' && /^dpop\s/i.test(auth)) dpopError = ', error="invalid_token"';
    else if (CREDENTIAL_HEADERS.some((h) => request.headers[h] !== undefined))
      bearerError = ', error="invalid_token"';
  }
  return `Bearer realm="tokenward"${bearerError}, DPoP realm="tokenward", algs="${DPOP_ALGS}"${dpopError}`;
}

/** The answer's headers: the error's own, and on a 401 the challenge unless the error set one. */
export function errorHeaders(
  request: FastifyRequest,
  status: number,
  code: string,
  headers: Record<string, string>,
): Record<string, string> {
  if (status !== 401 || Object.keys(headers).some((h) => h.toLowerCase() === 'www-authenticate'))
    return headers;
  return { ...headers, 'www-authenticate': wwwAuthenticate(request, code) };
}

export function registerErrorHandling(
  app: FastifyInstance,
  onNotFound: (method: string, statusCode: number) => void,
): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toErrorResponse(err);
    const oauth =
      request.routeOptions.config?.oauthErrors === true
        ? oauthErrorResponse(mapped, bearerPresented(request))
        : null;
    const { status, body, headers } = oauth ?? mapped;
    // The cause goes to the log only, under the request id the answer carries; the body says
    // nothing more than its code.
    if (status >= 500) {
      request.log.error(
        { err, reqId: request.id },
        body.code === 'store_unavailable' ? 'store unavailable' : 'unhandled error',
      );
    }
    const publicBody = publicErrorBody(body, request.id);
    return reply
      .code(status)
      .headers(errorHeaders(request, status, body.code, headers))
      .send(oauth ? { error: oauth.error, error_description: body.errorMessage, ...publicBody } : publicBody);
  });

  app.setNotFoundHandler((request, reply) => {
    onNotFound(request.method, 404);
    reply.code(404).send(publicErrorBody(errorBody('route_not_found'), request.id));
  });
}

/** Store errors that are not the caller's fault: the request may be retried (503). */
export function isStoreUnavailable(err: unknown): boolean {
  return classifyStoreError(err) === 'unavailable';
}

/**
 * Answers what Node rejects before Fastify sees a request (malformed HTTP, headers over the
 * size limit, a request that never finishes arriving) in the SPEC §4 shape; Fastify's default
 * writes a body of its own shape.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? 'headers_too_large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request_timeout'
        : 'invalid_request';
  const status = ERRORS[code].status;
  // No Fastify request exists yet: the answer still gets an id of the same form.
  const body = JSON.stringify(publicErrorBody(errorBody(code), newRequestId()));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${REASON_PHRASES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        'X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
