import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { expect } from 'vitest';
import { ERRORS_DOCS_URL } from '../src/plugins/errors.js';
import { http, type Json } from './helpers.js';

/** A clock the test moves by hand: no sleeps, no timing assumptions. */
export interface FakeClock {
  clock: () => number;
  now(): number;
  advance(ms: number): void;
}

export function fakeClock(startMs = Date.now()): FakeClock {
  let now = startMs;
  return {
    clock: () => now,
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** A name nobody has used yet in this store. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Asserts the error shape: SPEC §4's `{errorCode: int, errorMessage: string, code: snake_case}`
 * with the request id and the link to the code's entry in docs/errors.md (issue 13 item 8); on
 * the OAuth endpoints also RFC 6749 §5.2's `error` and `error_description` (issue 14).
 */
export function expectErrorShape(res: Json, code?: string): void {
  expect(res.headers.get('content-type') ?? '', res.text).toMatch(/^application\/json/);
  const oauth = res.body && typeof res.body === 'object' && 'error' in res.body;
  expect(res.body, res.text).toEqual({
    ...(oauth ? { error: expect.stringMatching(/^[a-z_]+$/), error_description: res.body.errorMessage } : {}),
    errorCode: expect.any(Number),
    errorMessage: expect.any(String),
    code: expect.stringMatching(/^[a-z][a-z0-9_]*$/),
    requestId: expect.stringMatching(/^req_[0-9a-f]{32}$/),
    docs: `${ERRORS_DOCS_URL}#${res.body.code}`,
  });
  expect(Number.isInteger(res.body.errorCode)).toBe(true);
  expect(res.body.errorMessage.length).toBeGreaterThan(0);
  if (code !== undefined) expect(res.body.code, res.text).toBe(code);
}

export interface Holder {
  id: number;
  name: string;
  password: string;
  /** An app token granted by an administrator with every role of the identity. */
  token: string;
  tokenId: number;
}

/** Creates an identity (with a password) and grants it an app token through `admin`. */
export async function identityWithToken(
  base: string,
  admin: string,
  name: string,
  roles: string[],
): Promise<Holder> {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = await http(base, 'POST', '/api/v1/identity', {
    token: admin,
    json: { name, roles, password },
  });
  if (created.status !== 201) throw new Error(`identity create failed: ${created.status} ${created.text}`);
  const granted = await grantTo(base, admin, created.body.id);
  return { id: created.body.id, name, password, token: granted.token, tokenId: granted.id };
}

/** Grants identity `identityId` an app token through `admin` (body as given). */
export async function grantTo(
  base: string,
  admin: string,
  identityId: number,
  body: Record<string, unknown> = {},
): Promise<{ id: number; token: string }> {
  const res = await http(base, 'POST', `/api/v1/apptoken/grant/${identityId}`, { token: admin, json: body });
  if (res.status !== 200) throw new Error(`grant failed: ${res.status} ${res.text}`);
  return { id: res.body.id, token: res.body.token };
}

export async function createRole(
  base: string,
  admin: string,
  name: string,
  permissions: string[],
): Promise<void> {
  const res = await http(base, 'POST', '/api/v1/role', { token: admin, json: { name, permissions } });
  if (res.status !== 201) throw new Error(`role create failed: ${res.status} ${res.text}`);
}

/** Number of tokens (every kind, every status) an identity holds, as an administrator sees it. */
export async function tokenCount(base: string, admin: string, identityId: number): Promise<number> {
  const res = await http(base, 'GET', `/api/v1/apptoken?kind=all&identity=${identityId}&limit=1`, {
    token: admin,
  });
  if (res.status !== 200) throw new Error(`token list failed: ${res.status} ${res.text}`);
  return res.body.total as number;
}

/**
 * A request sent as written, on its own connection: fetch would normalise `..` segments and
 * percent-encoded dots before they reach the server.
 */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Json> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: u.hostname, port: u.port, method, path, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = null;
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (typeof v === 'string') h.set(k, v);
          }
          resolve({ status: res.statusCode ?? 0, headers: h, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Writes bytes that no HTTP client would send, and reads the one response. */
export function rawSocket(base: string, bytes: string): Promise<Json> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let data = '';
    const finish = () => {
      const split = data.indexOf('\r\n\r\n');
      const head = split === -1 ? data : data.slice(0, split);
      const text = split === -1 ? '' : data.slice(split + 4);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body, text });
    };
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      data += c;
    });
    socket.on('close', finish);
    socket.on('error', (err) => (data ? finish() : reject(err)));
    socket.write(bytes);
  });
}
