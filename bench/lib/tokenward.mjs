// Tokenward as the bench runs it: the built server (apps/server/dist/server.js) in its own
// process, LOG_LEVEL=warn, on 127.0.0.1 with an ephemeral port; and the few API calls the
// bench needs to obtain credentials.
import { fileURLToPath } from 'node:url';
import { startServer } from './proc.mjs';

export const SERVER_ENTRY = fileURLToPath(new URL('../../apps/server/dist/server.js', import.meta.url));
export const ADMIN_PASSWORD = 'bench-admin-password';

/**
 * @param {{ name: string, dataDir: string, masterKey: string, databaseUrl?: string,
 *   schema?: string, nodeArgs?: string[], env?: Record<string, string> }} o
 */
export async function startTokenward(o) {
  const env = {
    TOKENWARD_DATA_DIR: o.dataDir,
    TOKENWARD_MASTER_KEY: o.masterKey,
    TOKENWARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PORT: '0',
    HOST: '127.0.0.1',
    // Request logging at info costs a large share of a verify: measured at warn.
    LOG_LEVEL: 'warn',
    // Every request comes from 127.0.0.1 and the checks present revoked and unknown tokens on
    // purpose: the guessing limiter (one address, 20 failures a minute) would block the load.
    TOKENWARD_AUTH_FAILURE_MAX: '1000000',
    DATABASE_URL: o.databaseUrl ?? '',
    TOKENWARD_DATABASE_SCHEMA: o.schema ?? '',
    ...o.env,
  };
  const start = () =>
    startServer({
      name: o.name,
      command: process.execPath,
      args: [...(o.nodeArgs ?? []), SERVER_ENTRY],
      env,
      ready: /Tokenward listening on (http:\/\/\S+)/,
    });
  let server;
  try {
    server = await start();
  } catch (err) {
    // Once more: on a shared machine a start can time out, or meet a build in progress.
    process.stderr.write(`${err.message.split('\n')[0]}; retrying once\n`);
    server = await start();
  }
  return { ...server, url: String(server.info) };
}

async function call(base, method, path, { token, cookie, json } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (cookie) headers.cookie = cookie;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, body, text };
}

function expect(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res.body;
}

/** Signs in as admin and grants an Administrator app token with the session: `{ token, id }`. */
export async function adminAppToken(base, password = ADMIN_PASSWORD) {
  const signin = await fetch(`${base}/api/v1/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  if (signin.status !== 200) throw new Error(`sign-in: HTTP ${signin.status} ${await signin.text()}`);
  const cookie = signin.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return expect(await call(base, 'GET', '/api/v1/apptoken/grant', { cookie }), 200, 'grant');
}

/**
 * Credentials for the targets: an Administrator app token (sign-in, then a grant with the
 * session cookie), its id, and an access JWT (personal token, then seed-003 authenticate).
 */
export async function credentials(base) {
  const { token: adminToken, id: adminTokenId } = await adminAppToken(base);
  const pat = expect(
    await call(base, 'POST', '/api/v1/PersonalTokens', { token: adminToken, json: { name: 'bench' } }),
    200,
    'personal token',
  );
  const exchanged = expect(
    await call(
      base,
      'POST',
      `/api/v1/PersonalTokens/authenticate?username=admin&personalToken=${encodeURIComponent(pat.token)}`,
      {},
    ),
    200,
    'personal token authenticate',
  );
  return { adminToken, adminTokenId, accessJwt: exchanged.token };
}

export { call, expect };
