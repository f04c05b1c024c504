import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** How often the checkpointer looks for committed WAL frames to copy while writes are quiet. */
const CHECKPOINT_IDLE_MS = 250;
/** …and while they keep coming. */
const CHECKPOINT_BUSY_MS = 20;
/**
 * Frames the WAL may reach before a commit checkpoints by itself. Under a steady stream of
 * writes a checkpoint running beside them never catches the WAL empty, and only a checkpoint
 * right after a commit lets the next one start the WAL afresh: this bounds the WAL (about
 * 40 MB), and by then the worker has copied and synced nearly everything.
 */
const INLINE_CHECKPOINT_PAGES = 10_000;
/** The same bound when the worker is gone: SQLite's default. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 1000;

/**
 * The worker's module, beside this one: src/checkpoint-worker.js under vitest, and
 * dist/checkpoint-worker.js (tsc copies it, allowJs) in the build.
 */
const WORKER_URL = new URL('./checkpoint-worker.js', import.meta.url);

/**
 * Moves most of SQLite's WAL checkpointing off the event loop. better-sqlite3 is synchronous,
 * and a checkpoint copies pages into the database file and fsyncs it: run by the commit that
 * crosses SQLite's default limit (1 000 pages), it stalls every request for as long as the disk
 * takes, tens of milliseconds on these machines. A worker thread with its own connection runs
 * PASSIVE checkpoints instead (they never block the writer): every 250 ms, or every 20 ms while
 * writes keep coming. Commits still checkpoint by themselves past 10 000 pages, which is what
 * lets the WAL start afresh under a continuous write load. Durability is SQLite's own WAL +
 * synchronous=NORMAL either way. Should the worker fail, SQLite's default takes over.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly started: Promise<boolean>;
  private stopped = false;

  constructor(
    private readonly sqlite: SQLite.Database,
    file: string,
  ) {
    sqlite.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
    this.worker = new Worker(WORKER_URL, {
      workerData: { file, idleMs: CHECKPOINT_IDLE_MS, busyMs: CHECKPOINT_BUSY_MS },
    });
    this.worker.unref();
    this.started = new Promise((resolve) => {
      this.worker.once('message', (message) => resolve(message === 'ready'));
      this.worker.once('error', () => resolve(false));
      this.worker.once('exit', () => resolve(false));
    });
    const fallBack = () => {
      if (this.stopped || !this.sqlite.open) return;
      this.stopped = true;
      this.sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    };
    this.worker.on('error', fallBack);
    this.worker.on('exit', fallBack);
  }

  /** Whether the worker started and opened its connection (false once it failed or stopped). */
  ready(): Promise<boolean> {
    return this.started;
  }

  /** Stops the worker (its connection closed); commits checkpoint by themselves afterwards. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sqlite.open) this.sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    await this.worker.terminate();
  }
}
