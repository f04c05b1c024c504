import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type StoreHandle,
  startApp,
  type TestServer,
} from './helpers.js';

/*
 * Issue 12 item 9 (files): what Tokenward writes to disk is readable by its own user only. A
 * first start into a data folder that does not exist yet creates it 0700 (SQLite: the store
 * creates it), the SQLite database and its -wal/-shm are 0600, and the generated master.key is
 * 0600. Guards against token hashes, sessions, audit events and the key that seals the signing
 * keys being readable by every local user.
 */

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

for (const dialect of DIALECTS) {
  describe(`${dialect}: files of a first start`, () => {
    let server: TestServer | undefined;
    let parent: string | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
      if (parent) rmSync(parent, { recursive: true, force: true });
    });

    it('the generated master.key is 0600 (SQLite: the data folder is created 0700 and the database files are 0600)', async () => {
      parent = mkdtempSync(join(tmpdir(), 'tokenward-files-'));
      const dataDir = join(parent, 'data');
      const base = freshStore(dialect);
      const store: StoreHandle = {
        ...base,
        ...(dialect === 'sqlite'
          ? { config: { dialect: 'sqlite', file: join(dataDir, 'tokenward.db') } }
          : {}),
        dataDir,
        drop: base.drop,
      };
      const umask = process.umask(0o022);
      try {
        server = await startApp(store, { config: { dataDir } });
      } finally {
        process.umask(umask);
      }
      // A write, so that SQLite's -wal and -shm exist.
      const admin = await adminToken(server.url);
      expect(
        (await http(server.url, 'POST', '/api/v1/apptoken/grant', { token: admin, json: {} })).status,
      ).toBe(200);

      expect(mode(join(dataDir, 'master.key'))).toBe('600');
      if (dialect === 'sqlite') {
        expect(mode(dataDir)).toBe('700');
        const file = join(dataDir, 'tokenward.db');
        for (const f of [file, `${file}-wal`, `${file}-shm`]) {
          expect(existsSync(f), f).toBe(true);
          expect(mode(f), f).toBe('600');
        }
      }
    });
  });
}
