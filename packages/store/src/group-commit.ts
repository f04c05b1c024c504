import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

interface Pending {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Group commit for small writes that arrive together (grants under load): each `run` is a unit
 * of work that must commit as a whole, and the units queued while earlier commits were in
 * flight share the next transaction. A commit writes every page it touched, and consecutive
 * inserts touch the same pages (the table's last leaf, the audit log's), so N grants in one
 * commit write far fewer pages than N commits; on PostgreSQL it is one WAL flush instead of N.
 * Up to `concurrency` transactions run at once: one on SQLite (one connection), a few on
 * PostgreSQL, where a transaction's statements are network round trips that others can overlap.
 *
 * A unit answers only once the transaction holding it has committed. When a shared transaction
 * fails, nothing of it stays, and each of its units runs again in a transaction of its own: the
 * one that fails alone is refused with its own error, the others commit. A unit may therefore run
 * twice, and must only write through the transaction it is given.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  /** Drain loops running or about to start (at most `concurrency`). */
  private workers = 0;
  /** Transactions committed or attempted, shared or alone (tests read it). */
  transactions = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly concurrency = 1,
    private readonly maxUnits = 200,
  ) {}

  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.workers < this.concurrency) {
        this.workers++;
        // Whatever else arrives in this turn of the event loop joins the same transaction.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.commit(this.queue.splice(0, this.maxUnits));
    }
    this.workers--;
  }

  private async commit(units: Pending[]): Promise<void> {
    if (units.length > 1) {
      let results: unknown[] | undefined;
      try {
        this.transactions++;
        results = await this.db.transaction().execute(async (trx) => {
          const out: unknown[] = [];
          for (const unit of units) out.push(await unit.work(trx));
          return out;
        });
      } catch {
        // Rolled back as a whole: each unit alone below decides whose error it was.
      }
      if (results !== undefined) {
        for (let i = 0; i < units.length; i++) units[i]!.resolve(results[i]);
        return;
      }
    }
    for (const unit of units) {
      try {
        this.transactions++;
        unit.resolve(await this.db.transaction().execute(unit.work));
      } catch (err) {
        unit.reject(err);
      }
    }
  }
}
