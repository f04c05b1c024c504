import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { insertAuditEvent } from './repositories/audit.repository.js';
import { openStore, type Store } from './store.js';

/*
 * SQLite only: the WAL checkpoints run in a worker thread (see Checkpointer). These check what
 * that must never break: the WAL stays small while writes come in bursts (the worker's
 * checkpoints let the next commit start it afresh), and it stays bounded under a continuous
 * stream of writes, where a checkpoint beside the writer alone would never catch it empty.
 */
describe('SQLite WAL checkpoints', () => {
  const dirs: string[] = [];
  let store: Store | null = null;

  async function open(): Promise<{ store: Store; wal: () => number }> {
    const dir = mkdtempSync(join(tmpdir(), 'tokenward-wal-'));
    dirs.push(dir);
    const file = join(dir, 'store.db');
    store = await openStore({ dialect: 'sqlite', file });
    await store.migrate();
    return { store, wal: () => statSync(`${file}-wal`).size };
  }

  const event = (i: number) => ({
    at_ms: Date.now(),
    actor_id: null,
    actor_name: 'wal-test',
    action: 'test.write',
    outcome: 'success',
    target_type: 'test',
    target_id: String(i),
    ip: null,
    details: JSON.stringify({ i, pad: 'x'.repeat(200) }),
  });

  afterEach(async () => {
    await store?.close();
    store = null;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('between bursts of writes the worker checkpoints and the WAL starts afresh', async () => {
    const { store: s, wal } = await open();
    const sizes: number[] = [];
    for (let burst = 0; burst < 8; burst++) {
      for (let i = 0; i < 400; i++) await insertAuditEvent(s.db, event(i));
      sizes.push(wal());
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
    // One burst writes a few MB of WAL; without checkpoints eight bursts would write 8 times that.
    expect(sizes[0]).toBeGreaterThan(0);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(sizes[0]! * 1.5);
    const [row] = await s.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .execute();
    expect(Number(row!.n)).toBe(8 * 400);
  });

  it('under a continuous stream of writes the WAL stays bounded', async () => {
    const { store: s, wal } = await open();
    let largest = 0;
    for (let i = 0; i < 20_000; i++) {
      await insertAuditEvent(s.db, event(i));
      if (i % 500 === 0) largest = Math.max(largest, wal());
    }
    // 20 000 events write well over 200 MB of WAL frames: a WAL never started afresh would
    // be that large. The bound is 10 000 pages (40 MB) plus what one checkpoint lets through.
    expect(largest).toBeLessThan(100 * 1024 * 1024);
  }, 120_000);
});
