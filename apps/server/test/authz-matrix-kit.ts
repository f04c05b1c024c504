import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type Json,
  signIn,
  startApp,
  type TestServer,
} from './helpers.js';
import {
  createRole,
  expectErrorShape,
  type FakeClock,
  fakeClock,
  grantTo,
  type Holder,
  identityWithToken,
  iso,
  tokenCount,
  uniqueName,
} from './test-kit.js';

/**
 * The machinery of authz-matrix.test.ts: the callers, the targets each cell prepares, and the
 * runner that turns every (route, caller) cell into one test.
 */

export const CALLERS = [
  { key: 'admin', label: 'an Administrator token' },
  { key: 'operator', label: 'an Operator token' },
  { key: 'reader', label: 'a Reader token' },
  { key: 'billing', label: 'a custom-role (Billing) token' },
  { key: 'none', label: 'a request without a credential' },
  { key: 'revoked', label: 'a revoked Administrator token' },
  { key: 'expired', label: 'an expired Administrator token' },
] as const;
type CallerKey = (typeof CALLERS)[number]['key'];

export interface Ctx {
  base: string;
  /** A working Administrator token, for preparing targets and checking them afterwards. */
  admin: string;
  /** The caller's identity (the admin identity for callers without a usable token). */
  self: { id: number; name: string };
  /** A working token of `self` (the caller's own, or the admin's for callers without one). */
  selfToken: string;
  /** Another identity (Reader, with a password). */
  other: Holder;
}

export interface Prepared {
  path: string;
  json?: unknown;
  /** Run after a refusal: proves the refused request changed nothing. */
  unchanged?: () => Promise<void>;
}

export type Expect = [
  admin: number,
  op: number,
  reader: number,
  billing: number,
  none: number,
  revoked: number,
  expired: number,
];
export interface Row {
  method: string;
  route: string;
  expect: Expect;
  prepare: (c: Ctx) => Promise<Prepared>;
}

export const row = (method: string, route: string, expect: Expect, prepare: Row['prepare']): Row => ({
  method,
  route,
  expect,
  prepare,
});

export async function expectStatus(c: Ctx, method: string, path: string, status: number): Promise<Json> {
  const res = await http(c.base, method, path, { token: c.admin });
  expect(res.status, `${method} ${path}: ${res.text}`).toBe(status);
  return res;
}

export const grantRefusedLeavesNoToken = async (c: Ctx, identityId: number, path: string, json?: unknown) => {
  const before = await tokenCount(c.base, c.admin, identityId);
  return {
    path,
    ...(json === undefined ? {} : { json }),
    unchanged: async () => expect(await tokenCount(c.base, c.admin, identityId)).toBe(before),
  };
};

export const tokenOf = async (c: Ctx, identityId: number) => (await grantTo(c.base, c.admin, identityId)).id;

/** Reads a resource now; the returned check fails if it reads differently later. */
export const stays = async (c: Ctx, path: string) => {
  const read = async () => {
    const { lastUsed: _l, useCount: _u, ...rest } = (await expectStatus(c, 'GET', path, 200)).body;
    return rest;
  };
  const before = await read();
  return async () => expect(await read()).toEqual(before);
};

export const freshIdentity = async (c: Ctx) => {
  const res = await http(c.base, 'POST', '/api/v1/identity', {
    token: c.admin,
    json: { name: uniqueName('victim'), roles: ['Reader'] },
  });
  expect(res.status).toBe(201);
  return res.body.id as number;
};

export const freshRole = async (c: Ctx) => {
  const name = uniqueName('Role');
  await createRole(c.base, c.admin, name, ['billing:read']);
  return name;
};

export const otherSession = async (c: Ctx) => {
  const session = await signIn(c.base, c.other.name, c.other.password);
  const mine = await http(c.base, 'GET', '/api/v1/usersession', { cookie: session.cookie });
  return (mine.body.items as Array<{ id: number; current: boolean }>).find((x) => x.current)!.id;
};

export const personalTokenOf = async (c: Ctx, token: string) => {
  const res = await http(c.base, 'POST', '/api/v1/PersonalTokens', { token, json: { name: 'pat' } });
  expect(res.status, res.text).toBe(200);
  return res.body.id as number;
};

/** A record as GET /apptoken/export writes it, for a value nobody holds. */
export const exported = (identity: string) => ({
  kind: 'app',
  token_hash: randomBytes(32).toString('hex'),
  hint: 'abcd',
  name: 'moved',
  description: '',
  identity,
  roles: ['Reader'],
  scope: 'all',
  apiEndpoints: null,
  created: new Date().toISOString(),
  expiration: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  revoked: false,
  revokedDate: null,
});

function outcome(status: number): string {
  if (status < 300) return `is allowed (${status})`;
  if (status === 401) return 'is refused as unauthenticated (401)';
  if (status === 403) return 'is refused as forbidden (403)';
  if (status === 404) return 'is answered 404, the resource staying hidden';
  return `gets ${status}`;
}

/** One describe per dialect, one test per (route, caller) cell. */
export function runMatrix(rows: Row[]): void {
  for (const dialect of DIALECTS) {
    describe(`authorization matrix [${dialect}]`, () => {
      let s: TestServer;
      let clock: FakeClock;
      let admin: string;
      let other: Holder;
      const callers = new Map<CallerKey, { token: string | null; self: { id: number; name: string } }>();

      beforeAll(async () => {
        clock = fakeClock();
        s = await startApp(freshStore(dialect), { clock: clock.clock });
        admin = await adminToken(s.url);
        const adminSelf = { id: 1, name: 'admin' };
        await createRole(s.url, admin, 'Billing', ['billing:read', 'tokens:read']);
        const operator = await identityWithToken(s.url, admin, 'operator', ['Operator']);
        const reader = await identityWithToken(s.url, admin, 'reader', ['Reader']);
        const billing = await identityWithToken(s.url, admin, 'billing', ['Billing']);
        other = await identityWithToken(s.url, admin, 'other', ['Reader']);

        // Both stale tokens are Administrator tokens that worked: only revocation and expiry refuse them.
        const revoked = await grantTo(s.url, admin, 1);
        expect((await http(s.url, 'GET', '/api/v1/audit', { token: revoked.token })).status).toBe(200);
        expect((await http(s.url, 'DELETE', `/api/v1/apptoken/${revoked.id}`, { token: admin })).status).toBe(
          200,
        );
        const expired = await grantTo(s.url, admin, 1, { expiration: iso(clock.now() + 60_000) });
        expect((await http(s.url, 'GET', '/api/v1/audit', { token: expired.token })).status).toBe(200);
        clock.advance(61_000);

        callers.set('admin', { token: admin, self: adminSelf });
        callers.set('operator', { token: operator.token, self: operator });
        callers.set('reader', { token: reader.token, self: reader });
        callers.set('billing', { token: billing.token, self: billing });
        callers.set('none', { token: null, self: adminSelf });
        callers.set('revoked', { token: revoked.token, self: adminSelf });
        callers.set('expired', { token: expired.token, self: adminSelf });
      });
      afterAll(async () => s?.close());

      for (const r of rows) {
        CALLERS.forEach((c, i) => {
          const status = r.expect[i]!;
          it(`${c.label} ${outcome(status)} on ${r.method} ${r.route}`, async () => {
            const who = callers.get(c.key)!;
            const ctx: Ctx = {
              base: s.url,
              admin,
              self: who.self,
              selfToken: who.self.id === 1 ? admin : who.token!,
              other,
            };
            const prepared = await r.prepare(ctx);
            const res = await http(s.url, r.method, prepared.path, {
              ...(who.token === null ? {} : { token: who.token }),
              ...(prepared.json === undefined ? {} : { json: prepared.json }),
            });
            expect(res.status, res.text).toBe(status);
            if (status >= 400) {
              expectErrorShape(res);
              if (prepared.unchanged) await prepared.unchanged();
            }
          });
        });
      }
    });
  }
}
