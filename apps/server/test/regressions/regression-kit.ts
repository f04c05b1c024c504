import { expect } from 'vitest';
import { http, type Json } from '../helpers.js';

/** Issue 12 regression tests: small shared steps (no assertions about the fixes themselves). */

export const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The payload of a JWT, decoded without verifying it. */
export function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** POST /api/v1/token/exchange (JSON), with `caller` as Bearer when given. */
export function exchange(
  base: string,
  caller: string | undefined,
  body: { subject_token: string; scope?: string; subject_token_type?: string; actor_token?: string },
): Promise<Json> {
  return http(base, 'POST', '/api/v1/token/exchange', {
    ...(caller === undefined ? {} : { token: caller }),
    json: { grant_type: EXCHANGE_GRANT, ...body },
  });
}

/** A token's row as an administrator sees it, without what every use changes. */
export async function tokenSnapshot(
  base: string,
  admin: string,
  id: number,
): Promise<Record<string, unknown>> {
  const res = await http(base, 'GET', `/api/v1/apptoken/${id}`, { token: admin });
  expect(res.status, res.text).toBe(200);
  const { lastUsed: _lastUsed, useCount: _useCount, ...rest } = res.body as Record<string, unknown>;
  return rest;
}

/** Headers that make a trust-proxy server see the request as coming from `ip`. */
export function from(ip: string, headers: Record<string, string> = {}): Record<string, string> {
  return { ...headers, 'x-forwarded-for': ip };
}

/** `/api/v1/auth/verify` with a credential, an optional permission and original request. */
export function verify(
  base: string,
  token: string,
  opts: { permission?: string; method?: string; uri?: string } = {},
): Promise<Json> {
  const q = opts.permission === undefined ? '' : `?permission=${encodeURIComponent(opts.permission)}`;
  return http(base, 'GET', `/api/v1/auth/verify${q}`, {
    token,
    headers: {
      ...(opts.method === undefined ? {} : { 'x-original-method': opts.method }),
      ...(opts.uri === undefined ? {} : { 'x-original-uri': opts.uri }),
    },
  });
}
