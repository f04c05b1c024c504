// Prepares the stores the bench measures: one per dialect and size. Each store is migrated
// and bootstrapped by starting Tokenward once on it, then filled in bulk through the store
// layer (lib/seed.mjs in its own process) while no server runs on it.
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runToEnd } from './proc.mjs';
import { startTokenward } from './tokenward.mjs';

const SEED = fileURLToPath(new URL('./seed.mjs', import.meta.url));
/** How many of the seeded values are kept for the load generator (target 4 presents them all). */
export const KEPT_TOKENS = 10_000;

async function seedProcess(args) {
  const { stdout } = await runToEnd(process.execPath, [SEED, JSON.stringify(args)], { timeoutMs: 900_000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

async function bootstrap(o) {
  const server = await startTokenward(o);
  await server.stop();
}

const CACHE_ROOT = join(tmpdir(), 'tokenward-bench-cache');

/**
 * The folder of seeded SQLite stores kept between runs, named after everything that shapes
 * them (the migrations, packages/core, the first-start bootstrap, the seeding), with the
 * master key their signing keys are sealed with. Folders of other versions are removed.
 */
export function sqliteCache() {
  const hash = createHash('sha256');
  const dist = (p) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
  const migrations = dist('packages/store/dist/migrations');
  for (const f of readdirSync(migrations)
    .filter((n) => n.endsWith('.js'))
    .sort()) {
    hash.update(f).update(readFileSync(join(migrations, f)));
  }
  // Token values are made by packages/core (format, checksum, hash): a change there makes the
  // kept values of an older store unusable.
  const core = dist('packages/core/dist');
  for (const f of readdirSync(core)
    .filter((n) => n.endsWith('.js'))
    .sort()) {
    hash.update(f).update(readFileSync(join(core, f)));
  }
  hash.update(readFileSync(dist('apps/server/dist/bootstrap.js')));
  hash.update(readFileSync(SEED)).update(String(KEPT_TOKENS));
  const dir = join(CACHE_ROOT, hash.digest('hex').slice(0, 16));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const other of readdirSync(CACHE_ROOT)) {
    if (join(CACHE_ROOT, other) !== dir) rmSync(join(CACHE_ROOT, other), { recursive: true, force: true });
  }
  const keyFile = join(dir, 'master.key');
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  return { dir, masterKey: readFileSync(keyFile, 'utf8').trim() };
}

function copyStore(fromFile, toFile) {
  for (const suffix of ['', '-wal']) {
    if (existsSync(fromFile + suffix)) copyFileSync(fromFile + suffix, toFile + suffix);
  }
}

/**
 * SQLite: the smallest store is bootstrapped and seeded, each larger one starts as a copy of
 * the one before and gets only the difference, so 1 000 000 rows are generated once.
 * Every size holds the smallest store's kept tokens. With a cache, seeded stores are copied
 * from it when present and into it when made.
 */
async function sqliteStores({ root, sizes, masterKey, log, cache }) {
  const stores = [];
  const tokensFile = join(root, 'tokens-sqlite.txt');
  let previous = null;
  for (const size of sizes) {
    const dataDir = join(root, `sqlite-${size}`);
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, 'tokenward.db');
    const cached = cache ? join(cache.dir, `sqlite-${size}.db`) : null;
    const cachedTokens = cache ? join(cache.dir, 'tokens-sqlite.txt') : null;
    let seeded;
    if (cached && existsSync(cached) && existsSync(cachedTokens)) {
      copyStore(cached, file);
      if (!previous) copyFileSync(cachedTokens, tokensFile);
      log(`  sqlite: ${size.toLocaleString('en')} tokens (copied from the cache in ${cache.dir})`);
      const store = { dialect: 'sqlite', size, dataDir, file, tokensFile, seedSeconds: 0, cached: true };
      stores.push(store);
      previous = store;
      continue;
    }
    if (!previous) {
      await bootstrap({ name: `bootstrap sqlite-${size}`, dataDir, masterKey });
      seeded = await seedProcess({
        store: { dialect: 'sqlite', file },
        count: size,
        keep: KEPT_TOKENS,
        keepFile: tokensFile,
      });
    } else {
      copyStore(previous.file, file);
      seeded = await seedProcess({
        store: { dialect: 'sqlite', file },
        count: size - previous.size,
        keep: 0,
      });
    }
    log(
      `  sqlite: ${size.toLocaleString('en')} tokens (seeded ${seeded.rows} rows in ${seeded.seconds.toFixed(1)} s)`,
    );
    if (cached) {
      copyStore(file, cached);
      if (!previous) copyFileSync(tokensFile, cachedTokens);
    }
    const store = { dialect: 'sqlite', size, dataDir, file, tokensFile, seedSeconds: seeded.seconds };
    stores.push(store);
    previous = store;
  }
  return stores;
}

/** PostgreSQL: one schema per size (dropped at the end), each bootstrapped and seeded. */
async function postgresStores({ root, sizes, masterKey, pgUrl, runId, log, schemas }) {
  const stores = [];
  for (const size of sizes) {
    const schema = `tw_bench_${runId}_${size}`;
    schemas.add(schema);
    const dataDir = join(root, `pg-${size}`);
    mkdirSync(dataDir, { recursive: true });
    const tokensFile = join(root, `tokens-pg-${size}.txt`);
    await bootstrap({ name: `bootstrap pg-${size}`, dataDir, masterKey, databaseUrl: pgUrl, schema });
    const seeded = await seedProcess({
      store: { dialect: 'postgres', url: pgUrl, schema, poolMax: 2 },
      count: size,
      keep: KEPT_TOKENS,
      keepFile: tokensFile,
      batch: 4000,
    });
    log(
      `  postgres: ${size.toLocaleString('en')} tokens (seeded ${seeded.rows} rows in ${seeded.seconds.toFixed(1)} s)`,
    );
    stores.push({ dialect: 'postgres', size, dataDir, schema, tokensFile, seedSeconds: seeded.seconds });
  }
  return stores;
}

/** Prepares every dialect's stores, the dialects in parallel (they use different cores). */
export async function prepareStores(o) {
  const chains = o.dialects.map((d) => {
    const sizes = o.sizesOf ? o.sizesOf(d) : o.sizes;
    return d === 'sqlite' ? sqliteStores({ ...o, sizes }) : postgresStores({ ...o, sizes });
  });
  return (await Promise.all(chains)).flat();
}

/** Drops the bench's PostgreSQL schemas. */
export async function dropSchemas(pgUrl, schemas) {
  if (!pgUrl || schemas.size === 0) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Vacuums (and analyzes) every table of a schema, then checkpoints: PostgreSQL settles now. */
export async function settlePostgres(pgUrl, schema) {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema]);
    for (const { tablename } of rows) await client.query(`VACUUM (ANALYZE) "${schema}"."${tablename}"`);
    await client.query('CHECKPOINT').catch(() => undefined);
  } finally {
    await client.end();
  }
}

/** Creates an empty schema (the peer's store; better-auth does not create one itself). */
export async function createSchema(pgUrl, schema) {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
}
