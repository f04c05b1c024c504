import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import type { StoreConfig } from './store-dialect.js';
import { DIALECTS, openTestStore } from './test-helpers/test-store.js';

/*
 * Cache invalidations between instances sharing a store, each dialect's channel behind one
 * Store interface: notify reaches every subscriber (this instance included), broadcast reaches
 * the other instances where there can be any (PostgreSQL) and does nothing where there cannot
 * (SQLite, one process). Guards the server's invalidator, which no longer asks which dialect
 * the store is before telling the others.
 */
const until = async (done: () => boolean, timeoutMs = 3000) => {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

for (const dialect of DIALECTS) {
  describe(`invalidations [${dialect}]`, () => {
    let store: Store;
    let config: StoreConfig;
    let drop: () => Promise<void>;
    const heard: string[] = [];

    beforeAll(async () => {
      ({ store, config, drop } = await openTestStore(dialect, 'inval'));
      await store.subscribe((payload) => heard.push(payload));
      await until(() => store.invalidationsDownSinceMs() === null);
    });
    afterAll(async () => {
      await drop?.();
    });

    it('notify reaches this instance, and its channel is up', async () => {
      expect(store.invalidationsDownSinceMs()).toBeNull();
      await store.notify('t:one');
      await until(() => heard.includes('t:one'));
      expect(heard).toContain('t:one');
    });

    it('broadcast reaches every other instance sharing the store, if any can', async () => {
      if (config.dialect === 'sqlite') {
        // One process uses a SQLite file: nothing to tell, and this instance is not told again.
        await store.broadcast('t:two');
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(heard).not.toContain('t:two');
        return;
      }
      const other = await openStore(config);
      try {
        const otherHeard: string[] = [];
        await other.subscribe((payload) => otherHeard.push(payload));
        await store.broadcast('t:two');
        await until(() => otherHeard.includes('t:two'));
        expect(otherHeard).toContain('t:two');
      } finally {
        await other.close();
      }
    });
  });
}
