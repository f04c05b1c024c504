// @ts-check
/*
 * The checkpointer's worker thread (see checkpointer.ts): PASSIVE WAL checkpoints on a
 * connection of its own. Plain JavaScript, shipped as it is (tsc copies it into dist), so the
 * same file runs beside the TypeScript sources under vitest and beside the built modules.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** @type {{ file: string; idleMs: number; busyMs: number }} */
const { file, idleMs, busyMs } = workerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
parentPort?.postMessage('ready');

let lastLog = 0;
const pass = () => {
  let busy = false;
  try {
    const [r] = /** @type {{ log: number; checkpointed: number }[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
    if (r) {
      // Frames left to copy, or new ones since the last pass: writes are coming in.
      busy = r.log > 0 && (r.checkpointed < r.log || r.log !== lastLog);
      lastLog = r.log;
    }
  } catch {
    // Busy or closing: the next pass tries again.
  }
  setTimeout(pass, busy ? busyMs : idleMs);
};
setTimeout(pass, idleMs);
