import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';
import { insertAuditEvent } from './repositories/audit.repository.js';
import type { Store } from './store.js';
import { DIALECTS, openTestStore } from './test-helpers/test-store.js';

for (const dialect of DIALECTS) {
  describe(`group commit [${dialect}]`, () => {
    let store: Store;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      ({ store, drop } = await openTestStore(dialect, 'group'));
    });

    afterAll(async () => {
      await drop?.();
    });

    const event = (action: string, target: string) => ({
      at_ms: Date.now(),
      actor_id: null,
      actor_name: 'group-test',
      action,
      outcome: 'success',
      target_type: 'test',
      target_id: target,
      ip: null,
      details: null,
    });

    const stored = async (action: string) =>
      (
        await store.db
          .selectFrom('audit_events')
          .select('target_id')
          .where('action', '=', action)
          .orderBy('id')
          .execute()
      ).map((r) => r.target_id);

    it.each([1, 3])(
      'commits units that arrive together in shared transactions, each answered after its commit (%i at once)',
      async (concurrency) => {
        const commits = new GroupCommit(store.db, concurrency);
        const seenAfterCommit: boolean[] = [];
        const units = Array.from({ length: 100 }, (_, i) =>
          commits
            .run(async (trx) => {
              await insertAuditEvent(trx, event(`group.many-${concurrency}`, String(i)));
              await insertAuditEvent(trx, event(`group.many-second-${concurrency}`, String(i)));
              return `unit ${i}`;
            })
            .then(async (answer) => {
              // Answered only once committed: a read outside the transaction sees the rows.
              const rows = await store.db
                .selectFrom('audit_events')
                .select('id')
                .where('action', '=', `group.many-${concurrency}`)
                .where('target_id', '=', String(i))
                .execute();
              seenAfterCommit[i] = rows.length === 1;
              return answer;
            }),
        );
        expect(await Promise.all(units)).toEqual(Array.from({ length: 100 }, (_, i) => `unit ${i}`));
        expect(seenAfterCommit.every(Boolean)).toBe(true);
        expect((await stored(`group.many-${concurrency}`)).sort()).toEqual(
          Array.from({ length: 100 }, (_, i) => String(i)).sort(),
        );
        expect((await stored(`group.many-second-${concurrency}`)).length).toBe(100);
        // Shared: far fewer transactions than units.
        expect(commits.transactions).toBeGreaterThan(0);
        expect(commits.transactions).toBeLessThanOrEqual(10 * concurrency);
      },
    );

    it('refuses only the unit that fails; the others commit; nothing of the failed one stays', async () => {
      const commits = new GroupCommit(store.db);
      const units = Array.from({ length: 20 }, (_, i) =>
        commits.run(async (trx) => {
          await insertAuditEvent(trx, event('group.partial', String(i)));
          if (i === 7) throw new Error('unit 7 fails after writing');
          await insertAuditEvent(trx, event('group.partial', `${i}b`));
          return i;
        }),
      );
      const results = await Promise.allSettled(units);
      const rejected = results.flatMap((r, i) =>
        r.status === 'rejected' ? [[i, (r.reason as Error).message]] : [],
      );
      expect(rejected).toEqual([[7, 'unit 7 fails after writing']]);
      const rows = await stored('group.partial');
      expect(rows).not.toContain('7');
      expect(rows.length).toBe(38);
      expect(new Set(rows).size).toBe(38);
    });

    it('runs a unit that arrives alone in a transaction of its own', async () => {
      const commits = new GroupCommit(store.db);
      expect(
        await commits.run(async (trx) => insertAuditEvent(trx, event('group.alone', '1'))),
      ).toBeUndefined();
      await expect(
        commits.run(async (trx) => {
          await insertAuditEvent(trx, event('group.alone', '2'));
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await stored('group.alone')).toEqual(['1']);
      expect(commits.transactions).toBe(2);
    });
  });
}
