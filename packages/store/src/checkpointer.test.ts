import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer } from './checkpointer.js';
import { insertAuditEvent } from './repositories/audit.repository.js';
import { openStore, type Store } from './store.js';

/*
 * The worker is a module file of its own (checkpoint-worker.js), not a string evaluated at run
 * time: it must start beside the TypeScript sources (vitest) and beside the built modules
 * (dist, as `npm start` runs them). Guards against a build that leaves the worker file out or
 * a path that only resolves from one of them: the store would fall back to inline checkpoints
 * without a word.
 */
describe('the checkpointer worker module', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function startsWith(Impl: typeof Checkpointer): Promise<{ ready: boolean; autocheckpoint: unknown }> {
    const dir = mkdtempSync(join(tmpdir(), 'tokenward-worker-'));
    dirs.push(dir);
    const file = join(dir, 'store.db');
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    const checkpointer = new Impl(sqlite, file);
    try {
      const ready = await checkpointer.ready();
      return { ready, autocheckpoint: sqlite.pragma('wal_autocheckpoint', { simple: true }) };
    } finally {
      await checkpointer.stop();
      sqlite.close();
    }
  }

  it('starts from the TypeScript sources', async () => {
    expect(await startsWith(Checkpointer)).toEqual({ ready: true, autocheckpoint: 10_000 });
  });

  it('starts from the built dist (npm run build first)', async () => {
    const built = new URL('../dist/checkpointer.js', import.meta.url).href;
    const { Checkpointer: BuiltCheckpointer } = (await import(built)) as typeof import('./checkpointer.js');
    expect(await startsWith(BuiltCheckpointer)).toEqual({ ready: true, autocheckpoint: 10_000 });
  });

  it('a worker that cannot start hands checkpoints back to SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenward-worker-'));
    dirs.push(dir);
    const file = join(dir, 'store.db');
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    // The worker opens its file with fileMustExist: a file that is not there makes it fail.
    const checkpointer = new Checkpointer(sqlite, join(dir, 'missing.db'));
    try {
      expect(await checkpointer.ready()).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      await checkpointer.stop();
      sqlite.close();
    }
  });
});

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
