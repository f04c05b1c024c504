import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  freshStore,
  http,
  makeIdentity,
  startServer,
  type TestServer,
} from '../../server/test/helpers.js';
import { assertBuilt, freshConfigPath, runCli } from './run-cli.js';

// Seed 001's high-availability move: tokens exported from one instance (SQLite) become valid
// on another (PostgreSQL) with no signing key or master key shared.
const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL;
const missing = 'TOKENWARD_TEST_DATABASE_URL is not set';

if (!pgUrl) {
  if (process.env.CI === 'true') {
    describe('token export (SQLite) → import (PostgreSQL)', () => {
      it('runs in CI', () => {
        throw new Error(`${missing}: the SQLite → PostgreSQL migration test cannot be skipped in CI.`);
      });
    });
  } else {
    process.stdout.write(`[cli] SKIPPED token export (SQLite) → import (PostgreSQL): ${missing}.\n`);
  }
}

describe.skipIf(!pgUrl)('token export (SQLite) → import (PostgreSQL) with the tokenward command', () => {
  let a: TestServer;
  let b: TestServer;
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  let adminB: string;
  const file = join(mkdtempSync(join(tmpdir(), 'tokenward-export-')), 'tokens.jsonl');
  const values: Record<string, string> = {};

  beforeAll(async () => {
    assertBuilt();
    [a, b] = await Promise.all([startServer(freshStore('sqlite')), startServer(freshStore('postgres'))]);
    const adminA = await adminToken(a.url);
    adminB = await adminToken(b.url);
    envA = { TOKENWARD_CONFIG: freshConfigPath(), TOKENWARD_URL: a.url, TOKENWARD_TOKEN: adminA };
    envB = { TOKENWARD_CONFIG: freshConfigPath(), TOKENWARD_URL: b.url, TOKENWARD_TOKEN: adminB };

    for (const [server, admin] of [
      [a, adminA],
      [b, adminB],
    ] as const) {
      await http(server.url, 'POST', '/api/v1/role', {
        token: admin,
        json: { name: 'Billing', permissions: ['billing:read'] },
      });
    }
    values.admin = adminA;
    values.bot = (await makeIdentity(a.url, adminA, 'build-bot', ['Operator'])).token;
    values.clerk = (await makeIdentity(a.url, adminA, 'clerk', ['Billing'])).token;
    values.ghost = (await makeIdentity(a.url, adminA, 'ghost', ['Reader'])).token;
    const pat = await http(a.url, 'POST', '/api/v1/PersonalTokens', {
      token: adminA,
      json: { name: 'laptop' },
    });
    values.pat = pat.body.token;
    const botId = (await http(a.url, 'GET', '/api/v1/identity?search=build-bot', { token: adminA })).body
      .items[0].id;
    const scoped = await http(a.url, 'POST', `/api/v1/apptoken/grant/${botId}`, {
      token: adminA,
      json: { scope: 'custom', apiEndpoints: ['GET /api/v1/me'] },
    });
    values.scoped = scoped.body.token;
    const revoked = await http(a.url, 'POST', `/api/v1/apptoken/grant/${botId}`, { token: adminA, json: {} });
    await http(a.url, 'DELETE', `/api/v1/apptoken/${revoked.body.id}`, { token: adminA });
    values.revoked = revoked.body.token;

    // The target knows the same people (names match case-insensitively), except "ghost".
    await http(b.url, 'POST', '/api/v1/identity', {
      token: adminB,
      json: { name: 'BUILD-BOT', roles: ['Operator'] },
    });
    await http(b.url, 'POST', '/api/v1/identity', {
      token: adminB,
      json: { name: 'clerk', roles: ['Billing'] },
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('export writes hashes and metadata, never values, to a 0600 file with plain progress counts', async () => {
    const r = await runCli(['token', 'export', '--out', file], { env: envA });
    expect(r.stderr).toMatch(/Exporting: 7\/7\n/);
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    for (const v of Object.values(values)) expect(text).not.toContain(v);
    const records = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(7);
    expect(records[0]).toEqual({
      id: expect.any(Number),
      kind: 'app',
      token_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      hint: expect.any(String),
      name: expect.any(String),
      description: expect.any(String),
      identity: 'admin',
      roles: ['Administrator'],
      scope: 'all',
      apiEndpoints: null,
      created: expect.any(String),
      expiration: expect.any(String),
      revoked: false,
      revokedDate: null,
      // The minter's effective grants: the token keeps them as its ceiling where it is imported.
      ceiling: ['*'],
    });
    expect(records.map((x) => x.kind).sort()).toEqual(['app', 'app', 'app', 'app', 'app', 'app', 'personal']);
  });

  it('import on the PostgreSQL instance makes the same values valid there', async () => {
    const r = await runCli(['token', 'import', file, '--batch-size', '2', '--json'], { env: envB });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.imported).toBe(6);
    expect(result.skipped).toEqual([
      { id: expect.any(Number), hint: values.ghost!.slice(-4), reason: 'unknown_identity' },
    ]);
    expect(r.stderr).toMatch(/Importing: 7\/7\n/);

    const me = async (token: string, path = '/api/v1/me') => http(b.url, 'GET', path, { token });
    expect((await me(values.admin!)).body.identity.name).toBe('admin');
    expect((await me(values.pat!)).body.via).toBe('token');
    expect((await me(values.bot!)).body.identity.name).toBe('BUILD-BOT');
    expect((await me(values.clerk!)).body.roles).toEqual(['Billing']);
    // The endpoint allow-list came along.
    expect((await me(values.scoped!)).status).toBe(200);
    expect((await me(values.scoped!, '/api/v1/role')).status).toBe(403);
    // A revoked token stays revoked; a token whose identity does not exist here is not valid.
    expect((await me(values.revoked!)).status).toBe(401);
    expect((await me(values.ghost!)).status).toBe(401);
    // And the migration is in the target's audit log: one event per batch, with counts.
    const audit = await http(b.url, 'GET', '/api/v1/audit?action=token.import_hashes', { token: adminB });
    expect(audit.body.items).toHaveLength(4);
    const sum = (k: string) =>
      audit.body.items.reduce((n: number, e: { details: Record<string, number> }) => n + e.details[k]!, 0);
    expect([sum('received'), sum('imported'), sum('skipped')]).toEqual([7, 6, 1]);
    expect(audit.text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('running the import again changes nothing and says why each record was skipped', async () => {
    const before = (await http(b.url, 'GET', '/api/v1/apptoken?kind=all&limit=500', { token: adminB })).body;
    const r = await runCli(['token', 'import', file], { env: envB });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Imported 0 of 7; skipped 7.');
    // Piped, the table of skipped records is tab-separated.
    expect(r.stdout.match(/\texists$/gm)).toHaveLength(6);
    expect(r.stdout.match(/\tunknown_identity$/gm)).toHaveLength(1);
    const after = (await http(b.url, 'GET', '/api/v1/apptoken?kind=all&limit=500', { token: adminB })).body;
    expect(after.total).toBe(before.total);
    // Only the usage of the admin token making these calls moves.
    const stable = (items: Array<Record<string, unknown>>) =>
      items.map(({ lastUsed, useCount, ...rest }) => rest);
    expect(stable(after.items)).toEqual(stable(before.items));
  });

  it('import refuses a file with a malformed line before sending anything', async () => {
    const bad = `${file}.bad`;
    writeFileSync(bad, `${readFileSync(file, 'utf8').split('\n')[0]}\n{not json\n`);
    const r = await runCli(['token', 'import', bad], { env: envB });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/:2: not valid JSON; nothing was imported\./);
  });
});
