import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { insertAuditEvent } from './repositories/audit.repository.js';
import { openStore, type Store } from './store.js';

/*
 * Issue 12 item 9 (SQLite only: PostgreSQL keeps its own files): the SQLite files hold every
 * token hash, session and audit event, so only the service's user may read them. The data
 * folder is created 0700, the database file 0600 (created so before SQLite opens it, and set so
 * when it already exists), and SQLite gives -wal and -shm the database file's mode. Guards
 * against a database readable by every local user (the process umask's 0644).
 */

const mode = (path: string) => statSync(path).mode & 0o777;

describe('sqlite: file modes', () => {
  const dirs: string[] = [];
  let store: Store | null = null;
  afterEach(async () => {
    await store?.close();
    store = null;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function writeSomething(s: Store): Promise<void> {
    await insertAuditEvent(s.db, {
      at_ms: Date.now(),
      actor_id: null,
      actor_name: 'file-modes',
      action: 'test.write',
      outcome: 'success',
      target_type: 'test',
      target_id: '1',
      ip: null,
      details: '{}',
    });
  }

  it('a new data folder is 0700 and the database file, its -wal and -shm are 0600 after a write', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'tokenward-modes-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data', 'nested');
    const file = join(dataDir, 'tokenward.db');
    const umask = process.umask(0o022); // the usual umask: files 0644 and folders 0755 by default
    try {
      store = await openStore({ dialect: 'sqlite', file });
    } finally {
      process.umask(umask);
    }
    await store.migrate();
    await writeSomething(store);
    expect(mode(dataDir).toString(8)).toBe('700');
    expect(mode(join(parent, 'data')).toString(8)).toBe('700');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      expect(existsSync(f), f).toBe(true);
      expect(mode(f).toString(8), f).toBe('600');
    }
  });

  it('an existing database file (and a -wal left behind) readable by others is set to 0600', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tokenward-modes-'));
    dirs.push(dataDir);
    const file = join(dataDir, 'tokenward.db');
    store = await openStore({ dialect: 'sqlite', file });
    await store.migrate();
    await store.close();
    store = null;
    chmodSync(file, 0o644);
    writeFileSync(`${file}-wal`, '');
    chmodSync(`${file}-wal`, 0o644);
    store = await openStore({ dialect: 'sqlite', file });
    await writeSomething(store);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f).toString(8), f).toBe('600');
    // The existing folder is left as the operator made it (mkdtemp: 0700 here).
    expect(mode(dataDir).toString(8)).toBe('700');
  });
});
