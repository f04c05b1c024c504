import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { adminToken, DIALECTS, freshStore, http, type Json, startApp, type TestServer } from '../helpers.js';
import { expectErrorShape, type Holder, identityWithToken, uniqueName } from '../test-kit.js';
import { from, verify } from './regression-kit.js';

// The exact token value of seed 001's migration example (a foreign JWT from another product).
const SEED_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJodHRwOi8vc2NoZW1hcy54bWxzb2FwLm9yZy93cy8yMDA1LzA1L2lkZW50aXR5L2NsYWltcy9uYW1lIjoiQWRtaW4iLCJodHRwOi8vc2NoZW1hcy54bWxzb2FwLm9yZy93cy8yMDA1LzA1L2lkZW50aXR5L2NsYWltcy9oYXNoIjoiMDhiYTFlMTktMjgyZi00YTRjLWIxZGUtNTY0Zjk3NWU2ODEwIiwic3ViIjoiUG93ZXJTaGVsbFVuaXZlcnNhbCIsImh0dHA6Ly9zY2hlbWFzLnhtbHNvYXAub3JnL3dzLzIwMDUvMDUvaWRlbnRpdHkvY2xhaW1zL3JvbGUiOiJwb2xpY3kiLCJuYmYiOjE2MzMxMDY5MzMsImV4cCI6MTY0MDg4NjQ4MCwiaXNzIjoiSXJvbm1hblNvZnR3YXJlIiwiYXVkIjoiUG93ZXJTaGVsbFVuaXZlcnNhbCJ9.GHjJI3kMpcAY1pvOGLWOdPqC2-IPo0-4lJfHZwStmOk';

/** TOKENWARD_AUTH_FAILURE_MAX's default. */
const AUTH_FAILURE_MAX = 20;

describe('the bearer-failure limit', () => {
  it('defaults to 20 failures in 60 seconds', () => {
    const config = loadConfig({});
    expect(config.authFailureMax).toBe(AUTH_FAILURE_MAX);
    expect(config.authFailureWindowSeconds).toBe(60);
  });
});

const wrongToken = (i: number) => `tw_app_${randomBytes(36).toString('base64url')}${i}`;

/** Statuses in order as runs: 401×20 429×280. */
function runs(statuses: number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < statuses.length) {
    let j = i;
    while (j < statuses.length && statuses[j] === statuses[i]) j++;
    out.push(`${statuses[i]}×${j - i}`);
    i = j;
  }
  return out.join(' ');
}

/** 401 for the first AUTH_FAILURE_MAX, then only 429 (rate_limited, with a positive Retry-After). */
function expectBlockedAfterFailures(answers: Json[]): void {
  const statuses = answers.map((a) => a.status);
  const first429 = statuses.indexOf(429);
  expect(first429, `not blocked after exactly ${AUTH_FAILURE_MAX} failures: ${runs(statuses)}`).toBe(
    AUTH_FAILURE_MAX,
  );
  expect(
    statuses.slice(0, first429).every((x) => x === 401),
    runs(statuses),
  ).toBe(true);
  expect(
    statuses.slice(first429).every((x) => x === 429),
    runs(statuses),
  ).toBe(true);
  for (const a of answers.slice(first429)) {
    expectErrorShape(a, 'rate_limited');
    expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
  }
}

for (const dialect of DIALECTS) {
  describe(`imports need tokens:import and a value that cannot be guessed [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let op: Holder;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      op = await identityWithToken(s.url, admin, uniqueName('operator'), ['Operator']);
    });
    afterAll(async () => s?.close());

    it('an Operator (tokens:grant, not tokens:import) may not import a token value', async () => {
      // Issue 12 item 6: an Operator imported "aaaa…" as its own token: a value anyone could
      // guess, under a policy that only administrators set.
      const value = 'a'.repeat(32);
      const res = await http(s.url, 'POST', '/api/v1/apptoken', {
        token: op.token,
        json: { Token: value, Identity: { Name: op.name }, Role: 'Operator' },
      });
      expect(res.status, res.text).toBe(403);
      expectErrorShape(res, 'permission_denied');
      expect((await http(s.url, 'GET', '/api/v1/me', { token: value })).status).toBe(401);
    });

    it('an Administrator may not import a low-entropy value (weak_token_value), and it does not authenticate', async () => {
      // Issue 12 item 6: "aaaaaaaaaaaaaaaa" was accepted as an Administrator token.
      for (const value of [
        'aaaaaaaaaaaaaaaa',
        'ab'.repeat(20),
        'password1234567890',
        '0123456789abcdef0123',
      ]) {
        const res = await http(s.url, 'POST', '/api/v1/apptoken', {
          token: admin,
          json: { Token: value, Identity: { Name: 'admin' }, Role: 'Administrator' },
        });
        expect(res.status, `${value} → ${res.text}`).toBe(400);
        expectErrorShape(res, 'weak_token_value');
        expect(res.text).not.toContain(value);
        expect((await http(s.url, 'GET', '/api/v1/me', { token: value })).status, value).toBe(401);
      }
    });

    it("seed 001's JWT and a random value still import and authenticate", async () => {
      // Issue 12 item 6 (control): the entropy rule keeps real migrated tokens.
      const seed = await http(s.url, 'POST', '/api/v1/apptoken', {
        token: admin,
        json: { Token: SEED_TOKEN, Identity: { Name: 'Admin' }, Role: 'Administrator' },
      });
      expect(seed.status, seed.text).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: SEED_TOKEN })).status).toBe(200);
      const random = randomBytes(32).toString('base64url');
      const imported = await http(s.url, 'POST', '/api/v1/apptoken', {
        token: admin,
        json: { token: random, identity: { id: op.id }, role: ['Operator'] },
      });
      expect(imported.status, imported.text).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: random })).status).toBe(200);
    });
  });

  describe(`guessing bearer tokens from one address is stopped (no trust proxy) [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;

    beforeAll(async () => {
      // The default limit (test servers raise it: every suite's client is 127.0.0.1).
      s = await startApp(freshStore(dialect), { config: { authFailureMax: AUTH_FAILURE_MAX } });
      admin = await adminToken(s.url);
    });
    afterAll(async () => s?.close());

    it('300 wrong bearer tokens: 401 up to the failure maximum, then 429 with Retry-After, even for a valid token', async () => {
      // Issue 12 item 6: wrong bearer tokens were answered 401 without limit.
      const answers: Json[] = [];
      for (let i = 0; i < 300; i++)
        answers.push(await http(s.url, 'GET', '/api/v1/me', { token: wrongToken(i) }));
      expectBlockedAfterFailures(answers);
      // No oracle: a valid token from the blocked address is refused the same way.
      const valid = await http(s.url, 'GET', '/api/v1/me', { token: admin });
      expect(valid.status, valid.text).toBe(429);
      expectErrorShape(valid, 'rate_limited');
      expect(Number(valid.headers.get('retry-after'))).toBeGreaterThan(0);
      const gateway = await verify(s.url, admin);
      expect(gateway.status, gateway.text).toBe(429);
    });
  });

  describe(`the bearer-failure limit is per client address [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect), {
        config: { trustProxy: true, authFailureMax: AUTH_FAILURE_MAX },
      });
      admin = await adminToken(s.url);
    });
    afterAll(async () => s?.close());

    it('an address that guessed is blocked, another address is not', async () => {
      // Issue 12 item 6: the limit must follow the guesser, not lock everyone out.
      const answers: Json[] = [];
      for (let i = 0; i < AUTH_FAILURE_MAX + 10; i++) {
        answers.push(
          await http(s.url, 'GET', '/api/v1/me', { token: wrongToken(i), headers: from('10.6.0.1') }),
        );
      }
      expectBlockedAfterFailures(answers);
      const blocked = await http(s.url, 'GET', '/api/v1/me', { token: admin, headers: from('10.6.0.1') });
      expect(blocked.status, blocked.text).toBe(429);
      const other = await http(s.url, 'GET', '/api/v1/me', { token: admin, headers: from('10.6.0.2') });
      expect(other.status, other.text).toBe(200);
      const otherWrong = await http(s.url, 'GET', '/api/v1/me', {
        token: wrongToken(0),
        headers: from('10.6.0.2'),
      });
      expect(otherWrong.status, otherWrong.text).toBe(401);
    });
  });
}
