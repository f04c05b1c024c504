import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { http, signIn } from './helpers.js';
import { SERVER_ENTRY as SERVER, spawnServer as start } from './spawn.js';

describe('the server process', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'tokenward-proc-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('first start on an empty data folder creates the store and prints a generated admin password once', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await start({ TOKENWARD_DATA_DIR: dataDir });
    const m = /as "admin" with the password: (\S+)/.exec(first.output());
    expect(m).not.toBeNull();
    const password = m![1]!;
    expect(existsSync(join(dataDir, 'tokenward.db'))).toBe(true);
    const session = await signIn(first.url, 'admin', password);
    expect((await http(first.url, 'GET', '/api/v1/me', { cookie: session.cookie })).body.roles).toEqual([
      'Administrator',
    ]);
    // The password reaches the terminal once, never the log lines.
    expect(first.output().split(password).length - 1).toBe(1);

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);

    const second = await start({ TOKENWARD_DATA_DIR: dataDir });
    expect(second.output()).not.toContain('password:');
    expect((await signIn(second.url, 'admin', password)).cookie).toContain('tw_session=');
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });

  it('TOKENWARD_ADMIN_PASSWORD sets the first admin password and is not printed', async () => {
    const dataDir = join(tempDir(), 'data');
    const s = await start({ TOKENWARD_DATA_DIR: dataDir, TOKENWARD_ADMIN_PASSWORD: 'given-password-123' });
    expect(s.output()).toContain('TOKENWARD_ADMIN_PASSWORD');
    expect(s.output()).not.toContain('given-password-123');
    await signIn(s.url, 'admin', 'given-password-123');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('a bad configuration value stops the start with a message naming the variable', async () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['LOG_LEVEL', 'loud'],
      ['TOKENWARD_MASTER_KEY', 'short'],
      ['DATABASE_URL', 'mysql://x'],
    ] as const) {
      const child = spawn(process.execPath, [SERVER], {
        env: { PATH: process.env.PATH ?? '', TOKENWARD_DATA_DIR: tempDir(), [name]: value },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(2);
      expect(err).toContain(name);
    }
  });

  it('SIGTERM while serving closes gracefully and flushes token usage', async () => {
    const dataDir = join(tempDir(), 'data');
    const s = await start({ TOKENWARD_DATA_DIR: dataDir, TOKENWARD_ADMIN_PASSWORD: 'given-password-123' });
    const session = await signIn(s.url, 'admin', 'given-password-123');
    const granted = await http(s.url, 'GET', '/api/v1/apptoken/grant', { cookie: session.cookie });
    await http(s.url, 'GET', '/api/v1/me', { token: granted.body.token });
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(statSync(join(dataDir, 'tokenward.db')).size).toBeGreaterThan(0);
    const again = await start({ TOKENWARD_DATA_DIR: dataDir });
    const t = await http(again.url, 'GET', `/api/v1/apptoken/${granted.body.id}`, {
      token: granted.body.token,
    });
    expect(t.status).toBe(200);
    expect(t.body.useCount).toBeGreaterThanOrEqual(1);
    expect(t.body.lastUsed).not.toBeNull();
    again.child.kill('SIGTERM');
    expect(await again.exit).toBe(0);
  });
});
