import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { DialectName } from '@tokenward/store';
import type { InjectOptions } from 'fastify';
import {
  freshStore as freshTestStore,
  type StoreHandle,
} from '../../../packages/store/src/test-helpers/test-store.js';
import { type App, buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';

export { DIALECTS, type StoreHandle } from '../../../packages/store/src/test-helpers/test-store.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';

/** A fresh, empty store of the given dialect (the one test-store helper, with the server's pool). */
export function freshStore(dialect: DialectName): StoreHandle {
  return freshTestStore(dialect, { poolMax: 5 });
}

export interface TestServer {
  app: App;
  url: string;
  store: StoreHandle;
  /** Every log line the server wrote. */
  logs: string[];
  /** Stops the server (the store stays unless dropStore is called). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export function testConfig(store: StoreHandle, overrides: Partial<Config> = {}): Config {
  const base = loadConfig({ TOKENWARD_DATA_DIR: store.dataDir, LOG_LEVEL: 'info' });
  return {
    ...base,
    store: store.config,
    adminPassword: ADMIN_PASSWORD,
    port: 0,
    // Every test client is 127.0.0.1, and many suites present bad credentials on purpose: the
    // guessing limiter would block them all. Its own tests set the limit they test.
    authFailureMax: 1_000_000,
    ...overrides,
  };
}

interface StartOptions {
  config?: Partial<Config>;
  clock?: () => number;
  /** BuildOptions.fastPaths (default: on below LOG_LEVEL info). */
  fastPaths?: boolean;
  /** Called with the app before it listens (to add hooks). */
  beforeListen?: (app: App) => void;
}

async function buildTestApp(
  store: StoreHandle,
  options: StartOptions,
): Promise<{ app: App; logs: string[] }> {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const app = await buildApp({
    config: testConfig(store, options.config),
    logStream,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fastPaths === undefined ? {} : { fastPaths: options.fastPaths }),
  });
  options.beforeListen?.(app);
  return { app, logs };
}

function testServer(
  app: App,
  url: string,
  store: StoreHandle,
  logs: string[],
  onStop = () => {},
): TestServer {
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    onStop();
    await app.close();
  };
  return {
    app,
    url,
    store,
    logs,
    stop,
    async close() {
      await stop();
      await store.drop();
    },
  };
}

/** A port that was free a moment ago (the OS's next ephemeral port). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A real Tokenward listening on 127.0.0.1 with an ephemeral port. Its public URL (and so its
 * issuer, unless the test sets one) is the URL it listens on, as RFC 8414 discovery requires:
 * the port is picked before the app is built, and picked again if another process took it.
 */
export async function startServer(store: StoreHandle, options: StartOptions = {}): Promise<TestServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const publicUrl = options.config?.publicUrl ?? url;
    const config: Partial<Config> = {
      publicUrl,
      issuer: publicUrl,
      ...options.config,
    };
    const { app, logs } = await buildTestApp(store, { ...options, config });
    try {
      await app.listen({ port, host: '127.0.0.1' });
    } catch (err) {
      await app.close();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw err;
    }
    return testServer(app, url, store, logs);
  }
}

/** Apps that http() and signIn() reach through `app.inject`, by the base URL they were given. */
const injected = new Map<string, App>();
let injectedCount = 0;

/**
 * The same Tokenward as startServer, not listening: http() and signIn() given its `url` call
 * `app.inject` (no socket, no port), for suites where the socket is not the point. The fast
 * paths (answered in the node:http handler before Fastify) are not reached this way: suites
 * about them, timeouts, raw sockets or processes use startServer.
 */
export async function startApp(store: StoreHandle, options: StartOptions = {}): Promise<TestServer> {
  const { app, logs } = await buildTestApp(store, options);
  await app.ready();
  const url = `inject://app-${++injectedCount}`;
  injected.set(url, app);
  return testServer(app, url, store, logs, () => injected.delete(url));
}

export interface Json {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience over arbitrary JSON.
  body: any;
  text: string;
}

/** A small HTTP client over fetch that returns parsed JSON and never throws on 4xx/5xx. */
export async function http(
  base: string,
  method: string,
  path: string,
  opts: {
    token?: string;
    headers?: Record<string, string>;
    json?: unknown;
    body?: string;
    cookie?: string;
  } = {},
): Promise<Json> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  let body: string | undefined = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const app = injected.get(base);
  let status: number;
  let resHeaders: Headers;
  let text: string;
  if (app) {
    const res = await app.inject({
      method: method as InjectOptions['method'],
      url: path,
      headers,
      ...(body === undefined ? {} : { payload: body }),
    });
    status = res.statusCode;
    resHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (one !== undefined) resHeaders.append(name, String(one));
      }
    }
    text = res.body;
  } else {
    const res = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
    status = res.status;
    resHeaders = res.headers;
    text = await res.text();
  }
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status, headers: resHeaders, body: parsed, text };
}

export interface SignedIn {
  cookie: string;
  csrf: string;
}

export async function signIn(base: string, username: string, password: string): Promise<SignedIn> {
  const res = await http(base, 'POST', '/api/v1/signin', { json: { username, password } });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  return { cookie: cookies.join('; '), csrf: (res.body as { csrfToken: string }).csrfToken };
}

/** Signs in as admin and grants an Administrator app token. */
export async function adminToken(base: string): Promise<string> {
  const s = await signIn(base, 'admin', ADMIN_PASSWORD);
  const res = await http(base, 'GET', '/api/v1/apptoken/grant', { cookie: s.cookie });
  if (res.status !== 200) throw new Error(`grant failed: ${res.status} ${res.text}`);
  return res.body.token as string;
}

/** Creates an identity with roles and a password, and returns it with an app token. */
export async function makeIdentity(
  base: string,
  admin: string,
  name: string,
  roles: string[],
): Promise<{ id: number; token: string; password: string }> {
  const password = `pw-${name}-${randomBytes(4).toString('hex')}`;
  const created = await http(base, 'POST', '/api/v1/identity', {
    token: admin,
    json: { name, roles, password, email: `${name}@example.com` },
  });
  if (created.status !== 201) throw new Error(`identity create failed: ${created.status} ${created.text}`);
  const granted = await http(base, 'POST', `/api/v1/apptoken/grant/${created.body.id}`, {
    token: admin,
    json: {},
  });
  if (granted.status !== 200) throw new Error(`grant failed: ${granted.status} ${granted.text}`);
  return { id: created.body.id, token: granted.body.token, password };
}
