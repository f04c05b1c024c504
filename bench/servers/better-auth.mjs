// Target 9, the peer: what a user would pick instead. better-auth with its API-key plugin,
// its server-side `verifyApiKey` behind a minimal node:http route (no framework cost, which
// favours the peer), rate limiting off. SQLite in WAL mode, or PostgreSQL in its own schema.
import { createServer } from 'node:http';
import { apiKey } from '@better-auth/api-key';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import Database from 'better-sqlite3';
import pg from 'pg';

const dialect = process.env.BENCH_DIALECT ?? 'sqlite';
const keyCount = Number(process.env.BENCH_KEYS ?? 1);
let database;
if (dialect === 'sqlite') {
  database = new Database(process.env.BENCH_SQLITE_FILE);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
} else {
  database = new pg.Pool({
    connectionString: process.env.BENCH_DATABASE_URL,
    max: 10,
    options: `-c search_path=${process.env.BENCH_SCHEMA}`,
  });
}

const auth = betterAuth({
  database,
  secret: process.env.BENCH_SECRET,
  baseURL: 'http://127.0.0.1',
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { disabled: true },
  plugins: [apiKey({ rateLimit: { enabled: false } })],
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
const signedUp = await auth.api.signUpEmail({
  body: { email: 'bench@example.com', password: 'bench-password-123', name: 'bench' },
});
const userId = signedUp.user.id;
const keys = [];
for (let i = 0; i < keyCount; i++) {
  const created = await auth.api.createApiKey({ body: { userId, name: `bench-${i}` } });
  keys.push(created.key);
}

const server = createServer((req, res) => {
  const header = req.headers.authorization;
  const key = header?.startsWith('Bearer ') ? header.slice(7) : '';
  auth.api.verifyApiKey({ body: { key } }).then(
    (result) => {
      res.writeHead(result.valid ? 204 : 401);
      res.end();
    },
    () => {
      res.writeHead(500);
      res.end();
    },
  );
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, keys })}\n`);
});
process.on('SIGTERM', () =>
  server.close(() => {
    Promise.resolve(dialect === 'sqlite' ? database.close() : database.end()).finally(() => process.exit(0));
  }),
);
