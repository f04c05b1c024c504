/**
 * Prints, once, which stores the suite runs against. With CI=true a missing PostgreSQL is a
 * failure, not a skip.
 */
export default async function setup(): Promise<void> {
  const url = process.env.TOKENWARD_TEST_DATABASE_URL;
  if (!url) {
    if (process.env.CI === 'true') {
      throw new Error(
        'CI=true but TOKENWARD_TEST_DATABASE_URL is not set: the PostgreSQL suites cannot be skipped in CI.',
      );
    }
    process.stdout.write(
      '\n[tokenward] TOKENWARD_TEST_DATABASE_URL is not set: PostgreSQL suites are SKIPPED; running on SQLite only.\n' +
        '            Set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run them.\n\n',
    );
    return;
  }
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `TOKENWARD_TEST_DATABASE_URL is set but PostgreSQL is not reachable: ${(err as Error).message}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  process.stdout.write('\n[tokenward] test stores: sqlite, postgres\n\n');
}
