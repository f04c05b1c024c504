import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, http, signIn } from './helpers.js';
import { type Running, spawnServer } from './spawn.js';

const ROUNDS = 10;
const WORKERS = 6;
const LOAD_MS = 500;

/**
 * While clients grant and revoke, the server is killed with SIGKILL and restarted on the same
 * store: every acknowledged grant must still authenticate and every acknowledged revocation
 * must still be refused.
 */
for (const dialect of DIALECTS) {
  describe(`crash durability under SIGKILL [${dialect}]`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tokenward-crash-'));
    const schema = `tw_crash_${randomBytes(5).toString('hex')}`;
    const env: Record<string, string> = {
      TOKENWARD_DATA_DIR: dataDir,
      TOKENWARD_ADMIN_PASSWORD: 'crash-test-password',
      ...(dialect === 'postgres'
        ? { DATABASE_URL: process.env.TOKENWARD_TEST_DATABASE_URL!, TOKENWARD_DATABASE_SCHEMA: schema }
        : {}),
    };
    let running: Running | null = null;

    afterAll(async () => {
      running?.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      if (dialect === 'postgres') {
        const c = new pg.Client({ connectionString: process.env.TOKENWARD_TEST_DATABASE_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
      }
    });

    it(`${ROUNDS} rounds: lost 0, resurrected 0`, async () => {
      running = await spawnServer(env);
      const session = await signIn(running.url, 'admin', 'crash-test-password');
      const admin = (await http(running.url, 'GET', '/api/v1/apptoken/grant', { cookie: session.cookie }))
        .body.token as string;
      const granted = new Map<number, string>();
      const revoked = new Set<number>();
      // A revocation cut by the kill may or may not have committed: its token proves nothing.
      const uncertain = new Set<number>();
      let lost = 0;
      let resurrected = 0;

      for (let round = 1; round <= ROUNDS; round++) {
        const url = running.url;
        let stop = false;
        const worker = async () => {
          while (!stop) {
            try {
              if (Math.random() < 0.7 || granted.size === 0) {
                const r = await fetch(`${url}/api/v1/apptoken/grant`, {
                  method: 'POST',
                  headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
                  body: '{}',
                });
                if (r.status === 200) {
                  const b = (await r.json()) as { id: number; token: string };
                  granted.set(b.id, b.token);
                }
              } else {
                const ids = [...granted.keys()].filter((id) => !revoked.has(id) && !uncertain.has(id));
                const id = ids[Math.floor(Math.random() * ids.length)];
                if (id === undefined) continue;
                uncertain.add(id);
                const r = await fetch(`${url}/api/v1/apptoken/${id}`, {
                  method: 'DELETE',
                  headers: { authorization: `Bearer ${admin}` },
                });
                await r.arrayBuffer();
                if (r.status === 200) {
                  revoked.add(id);
                  uncertain.delete(id);
                }
              }
            } catch {
              // The kill cuts requests in flight: they were never acknowledged.
              return;
            }
          }
        };
        const workers = Array.from({ length: WORKERS }, worker);
        await new Promise((r) => setTimeout(r, LOAD_MS));
        running.child.kill('SIGKILL');
        stop = true;
        await running.exit;
        await Promise.all(workers);

        running = await spawnServer(env);
        let roundLost = 0;
        let roundResurrected = 0;
        for (const [id, token] of granted) {
          if (uncertain.has(id)) continue;
          const r = await http(running.url, 'GET', '/api/v1/auth/verify', { token });
          if (revoked.has(id) && r.status !== 401) roundResurrected++;
          if (!revoked.has(id) && r.status !== 204) roundLost++;
        }
        lost += roundLost;
        resurrected += roundResurrected;
        process.stdout.write(
          `[crash ${dialect}] round ${round}: ${granted.size} granted, ${revoked.size} revoked so far — lost ${roundLost}, resurrected ${roundResurrected}\n`,
        );
      }
      process.stdout.write(`[crash ${dialect}] ${ROUNDS} rounds: lost ${lost}, resurrected ${resurrected}\n`);
      running.child.kill('SIGTERM');
      await running.exit;
      running = null;
      expect(granted.size).toBeGreaterThanOrEqual(ROUNDS);
      expect(revoked.size).toBeGreaterThanOrEqual(3);
      expect({ lost, resurrected }).toEqual({ lost: 0, resurrected: 0 });
    }, 240_000);
  });
}
