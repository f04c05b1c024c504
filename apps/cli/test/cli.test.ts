import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  freshStore,
  makeIdentity,
  startServer,
  type TestServer,
} from '../../server/test/helpers.js';
import { assertBuilt, freshConfigPath, runCli } from './run-cli.js';

describe('the tokenward command against a real server', () => {
  let s: TestServer;
  let config: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    s = await startServer(freshStore('sqlite'));
    config = freshConfigPath();
    env = { TOKENWARD_CONFIG: config };
  });
  afterAll(async () => s?.close());

  it('login with username and password stores the URL and a personal token in a 0600 file', async () => {
    const r = await runCli(['login', s.url, '--username', 'admin', '--password-stdin'], {
      env,
      input: `${ADMIN_PASSWORD}\n`,
    });
    expect(r.stderr).toMatch(/Logged in to .* as admin/);
    expect(r.code).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(config, 'utf8'));
    expect(stored).toMatchObject({ url: s.url, identity: 'admin', createdByLogin: true });
    expect(stored.token).toMatch(/^tw_pat_/);
    // The value is not printed anywhere.
    expect(r.stdout + r.stderr).not.toContain(stored.token);
    // The sign-in session was ended again: nobody else signed in to this server.
    const sessions = await runCli(['session', 'list', '--json'], { env });
    expect(sessions.code).toBe(0);
    expect(JSON.parse(sessions.stdout).items).toEqual([]);
    const audit = await runCli(['audit', '--action', 'signin', '--json'], { env });
    expect(JSON.parse(audit.stdout).items[0]).toMatchObject({ action: 'signin', outcome: 'success' });
  });

  it('token grant, list --json, show and revoke work with the stored credential', async () => {
    const granted = await runCli(
      ['token', 'grant', '--role', 'Reader', '--name', 'cli-test', '--expires', '30d', '--json'],
      {
        env,
      },
    );
    // admin holds only Administrator, whose permissions cover Reader's: roles are judged by
    // permissions (SPEC §10), so the README's and this command's own example works.
    expect(granted.code, granted.stderr).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ roles: ['Reader'], name: 'cli-test' });

    const ok = await runCli(['token', 'grant', '--name', 'cli-test', '--expires', '30d', '--json'], { env });
    expect(ok.code).toBe(0);
    const token = JSON.parse(ok.stdout);
    expect(token.token).toMatch(/^tw_app_/);
    expect(token.name).toBe('cli-test');

    const list = await runCli(['token', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout);
    expect(page.items.map((t: { id: number }) => t.id)).toContain(token.id);
    expect(list.stdout).not.toContain(token.token);

    const table = await runCli(['token', 'list'], { env });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+KIND\s+NAME\s+IDENTITY\s+ROLES\s+STATUS/);
    expect(table.stdout).toContain('cli-test');

    const show = await runCli(['token', 'show', String(token.id)], { env });
    expect(show.stdout).toMatch(/status:\s+Active/);

    // Revoking asks first; without a terminal to ask on it needs --yes.
    const unconfirmed = await runCli(['token', 'revoke', String(token.id)], { env });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/Refusing to revoke token #\d+ without confirmation.*--yes/);
    const revoke = await runCli(['token', 'revoke', String(token.id), '--yes'], { env });
    expect(revoke.code).toBe(0);
    expect(revoke.stderr).toContain(`Revoked token #${token.id}`);
    const after = JSON.parse((await runCli(['token', 'show', String(token.id), '--json'], { env })).stdout);
    expect(after).toMatchObject({ revoked: true, status: 'Revoked' });
  });

  it('a bad token exits 3 with the server message and no stack trace', async () => {
    const r = await runCli(['token', 'list'], {
      env: { ...env, TOKENWARD_TOKEN: 'tw_app_not-a-valid-token-value-000000000' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^tokenward: Authentication is required or the credential is not valid\./);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const none = await runCli(['token', 'list'], { env: { TOKENWARD_CONFIG: freshConfigPath() } });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/Not logged in/);
  });

  it('a forbidden action exits 4', async () => {
    const reader = await makeIdentity(s.url, await adminToken(s.url), 'reader-cli', ['Reader']);
    const readerEnv = {
      TOKENWARD_CONFIG: freshConfigPath(),
      TOKENWARD_URL: s.url,
      TOKENWARD_TOKEN: reader.token,
    };
    const r = await runCli(['keys', 'rotate'], { env: readerEnv });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('tokenward: You do not have permission to do this.\n');
    expect((await runCli(['identity', 'create', 'x'], { env: readerEnv })).code).toBe(4);
    // What a Reader may do still works.
    expect((await runCli(['role', 'list'], { env: readerEnv })).code).toBe(0);
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['token', 'frobnicate'],
      ['token', 'show'],
      ['token', 'show', 'abc'],
      ['token', 'list', '--status', 'sideways'],
      ['token', 'grant', '--expires', 'next tuesday'],
      ['identity', 'update', 'admin'],
      ['--no-such-option'],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
  });

  it('--help shows examples for every command, and exits 0', async () => {
    const commands = [
      [],
      ['serve'],
      ['login'],
      ['logout'],
      ['whoami'],
      ...['token', 'token grant', 'token list', 'token show', 'token revoke', 'token import', 'token export'],
      ...['pat', 'pat create', 'pat list', 'pat revoke', 'pat exchange'],
      ...['identity', 'identity list', 'identity create', 'identity update', 'identity delete'],
      ...['role', 'role list', 'role create', 'role update', 'role delete'],
      ...['session', 'session list', 'session end', 'audit', 'keys', 'keys rotate', 'keys list'],
      'completion',
    ].map((c) => (typeof c === 'string' ? c.split(' ') : c));
    for (const c of commands) {
      const r = await runCli([...c, '--help']);
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.stdout, c.join(' ')).toMatch(/Examples:\n {2}\$ tokenward/);
    }
  });

  it('role, identity, pat and session commands round-trip', async () => {
    const role = await runCli(
      ['role', 'create', 'CliBilling', '--permission', 'billing:read,billing:write'],
      { env },
    );
    expect(role.code).toBe(0);
    const ident = await runCli(['identity', 'create', 'cli-bot', '--role', 'CliBilling', '--json'], { env });
    expect(ident.code).toBe(0);
    expect(JSON.parse(ident.stdout)).toMatchObject({ name: 'cli-bot', roles: ['CliBilling'] });
    const grant = await runCli(['token', 'grant', '--identity', 'cli-bot', '-q'], { env });
    expect(grant.code).toBe(0);
    expect(grant.stdout.trim()).toMatch(/^tw_app_/);
    const upd = await runCli(['identity', 'update', 'cli-bot', '--disable', '--json'], { env });
    expect(JSON.parse(upd.stdout).enabled).toBe(false);
    // Issue 14 item 7: an identity may require DPoP, and stop requiring it.
    const dpop = await runCli(['identity', 'update', 'cli-bot', '--require-dpop', '--json'], { env });
    expect(JSON.parse(dpop.stdout).requireDpop).toBe(true);
    const noDpop = await runCli(['identity', 'update', 'cli-bot', '--no-require-dpop', '--json'], { env });
    expect(JSON.parse(noDpop.stdout).requireDpop).toBe(false);

    const pat = await runCli(['pat', 'create', '--name', 'cli-pat', '--json'], { env });
    const patToken = JSON.parse(pat.stdout);
    const jwt = await runCli(['pat', 'exchange', '-q'], { env });
    expect(jwt.code).toBe(0);
    expect(jwt.stdout.trim().split('.')).toHaveLength(3);
    const pats = JSON.parse((await runCli(['pat', 'list', '--json'], { env })).stdout);
    expect(pats.items.map((t: { id: number }) => t.id)).toContain(patToken.id);
    expect((await runCli(['pat', 'revoke', String(patToken.id), '--yes'], { env })).code).toBe(0);

    const sessions = await runCli(['session', 'list', '--json'], { env });
    expect(sessions.code).toBe(0);
    expect(JSON.parse(sessions.stdout)).toHaveProperty('items');
    expect((await runCli(['identity', 'delete', 'cli-bot', '--yes'], { env })).code).toBe(0);
    expect((await runCli(['role', 'delete', 'CliBilling', '-y'], { env })).code).toBe(0);
    // A rotated key is published first and signs after the publication delay; --now signs at once.
    const keys = await runCli(['keys', 'rotate', '--json'], { env });
    expect(JSON.parse(keys.stdout).status).toBe('pending');
    const urgent = await runCli(['keys', 'rotate', '--now', '--json'], { env });
    expect(JSON.parse(urgent.stdout).status).toBe('active');
  });
});
