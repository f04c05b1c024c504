// `npm run soak`: Tokenward under a steady mixed workload for minutes, on each store. Starts
// the built server (apps/server/dist/server.js) as a child process on 127.0.0.1, keeps about 16
// requests in flight (verify, grant, revoke, exchange, refresh rotation), checks every answer,
// samples the server's RSS from /proc every 5 s, and exits 0 only with no error, no wrong answer
// and memory growth under 10 % between the end of the warm-up and the end of the run.
// See docs/soak.md.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropSchemas } from './lib/stores.mjs';
import { adminAppToken } from './lib/tokenward.mjs';

const SERVER_ENTRY = fileURLToPath(new URL('../apps/server/dist/server.js', import.meta.url));
const ADMIN_PASSWORD = `soak-${randomBytes(12).toString('hex')}`;
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const SAMPLE_MS = 5_000;
const PROGRESS_MS = 30_000;
/** Length of the two windows whose mean RSS is compared (see the growth computation). */
const WINDOW_MS = 120_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Tokens kept for the workload; older ones stay valid in the store but are no longer used. */
const POOL_MAX = 500;
/** Refresh chains rotated side by side, and rotations before a chain is replaced by a new one. */
const CHAINS = 8;
const CHAIN_ROTATIONS = 200;
const MAX_GROWTH_PERCENT = 10;

const USAGE = `npm run soak -- [options]

  --minutes <n>        minutes of workload per store (default 10; fractions allowed)
  --store <s>          sqlite, postgres or both (default: both when TOKENWARD_TEST_DATABASE_URL
                       is set, else sqlite)
  --concurrency <n>    requests in flight (default 16)
  --help

PostgreSQL uses TOKENWARD_TEST_DATABASE_URL and a fresh schema tw_soak_<run>, dropped afterwards.`;

const log = (line) => process.stdout.write(`${line}\n`);

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '10' },
      store: { type: 'string' },
      concurrency: { type: 'string', default: '16' },
      help: { type: 'boolean', default: false },
    },
  });
  const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL ?? '';
  const minutes = Number(values.minutes);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be a number above 0');
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new Error('--concurrency must be an integer from 1 to 256');
  }
  const store = values.store ?? (pgUrl ? 'both' : 'sqlite');
  if (!['sqlite', 'postgres', 'both'].includes(store))
    throw new Error('--store must be sqlite, postgres or both');
  if (store !== 'sqlite' && !pgUrl) throw new Error(`--store ${store} needs TOKENWARD_TEST_DATABASE_URL`);
  const stores = store === 'both' ? ['sqlite', 'postgres'] : [store];
  return { help: values.help, minutes, concurrency, stores, pgUrl };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** VmRSS of a process in MiB, or null once it has gone. */
function rssMiB(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** Starts Tokenward; resolves once it prints its address. Its log lines at error level are counted. */
function startTokenward(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = {
      child,
      pid: child.pid,
      url: null,
      errorLines: [],
      warnLines: 0,
      warnings: [],
      stderr: '',
      exit: null,
      exited: null,
    };
    server.exit = new Promise((r) =>
      child.on('exit', (code, signal) => {
        server.exited = { code, signal };
        r({ code, signal });
      }),
    );
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Tokenward did not start in 60 s\n${server.stderr.slice(-2000)}`));
    }, 60_000);
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const ready = /Tokenward listening on (http:\/\/\S+)/.exec(line);
        if (ready && !server.url) {
          server.url = ready[1];
          clearTimeout(timer);
          resolve(server);
          continue;
        }
        const level = /^\{"level":(\d+)/.exec(line)?.[1];
        if (level && Number(level) >= 50) {
          if (server.errorLines.length < 20) server.errorLines.push(line.slice(0, 500));
          else server.errorLines.length++;
        } else if (level && Number(level) >= 40) {
          if (server.warnings.length < 5) server.warnings.push(line.slice(0, 300));
          server.warnLines++;
        }
      }
    });
    child.stderr.on('data', (chunk) => {
      server.stderr = (server.stderr + chunk).slice(-20_000);
    });
    child.on('exit', (code, signal) => {
      if (!server.url) {
        clearTimeout(timer);
        reject(
          new Error(
            `Tokenward exited before it was ready (${code ?? signal})\n${server.stderr.slice(-2000)}`,
          ),
        );
      }
    });
  });
}

async function stopTokenward(server) {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
  const killer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  const result = await server.exit;
  clearTimeout(killer);
  return result;
}

/** One HTTP exchange; never throws (a network error or timeout is status 0). */
async function call(base, method, path, { token, authtoken, json } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (authtoken) headers.authtoken = authtoken;
  if (json !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(base + path, {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body, text };
  } catch (err) {
    return { status: 0, body: null, text: `${err.name}: ${err.message}` };
  }
}

/** Signs in as admin and grants an Administrator app token with the session. */
async function adminToken(base) {
  return (await adminAppToken(base, ADMIN_PASSWORD)).token;
}

/** Counts, and the first few examples of everything that went wrong. */
class Tally {
  constructor() {
    this.requests = new Map();
    this.errors = 0;
    this.wrong = 0;
    this.examples = [];
  }
  count(kind) {
    this.requests.set(kind, (this.requests.get(kind) ?? 0) + 1);
  }
  get total() {
    let n = 0;
    for (const v of this.requests.values()) n += v;
    return n;
  }
  /** An unexpected status or a network error. */
  error(kind, res, expected) {
    this.errors++;
    if (this.examples.length < 20) {
      this.examples.push(
        `error ${kind}: HTTP ${res.status} (expected ${expected}) ${res.text.slice(0, 200)}`,
      );
    }
  }
  /** An answer that breaks a guarantee: a revoked or spent token accepted, a valid one refused. */
  wrongAnswer(kind, what) {
    this.wrong++;
    if (this.examples.length < 20) this.examples.push(`WRONG ${kind}: ${what}`);
  }
}

/**
 * The mixed workload against one server until `deadline`: `concurrency` workers, each picking
 * the next operation by weight.
 */
async function workload(base, admin, tally, { deadline, concurrency, reuseEveryMs, gone }) {
  const live = []; // { id, value } app tokens that must verify
  const revoked = []; // values that must be refused
  const chains = []; // { refresh, busy, rotations } refresh families, one request at a time each
  let nextReuseAt = Date.now() + reuseEveryMs;
  let reuseBusy = false;

  const push = (list, item) => {
    list.push(item);
    if (list.length > POOL_MAX) list.shift();
  };
  const pick = (list) => list[Math.floor(Math.random() * list.length)];

  /** Expects `status`; a 401/204 mix-up on a credential is a wrong answer, anything else an error. */
  const expectStatus = (kind, res, status, guarantee) => {
    tally.count(kind);
    if (res.status === status) return true;
    if (guarantee && (res.status === 204 || res.status === 200 || res.status === 401)) {
      tally.wrongAnswer(kind, `${guarantee}: HTTP ${res.status} ${res.text.slice(0, 160)}`);
    } else tally.error(kind, res, status);
    return false;
  };

  async function grant() {
    const res = await call(base, 'POST', '/api/v1/apptoken/grant', { token: admin, json: { name: 'soak' } });
    if (!expectStatus('grant', res, 200)) return;
    if (typeof res.body?.token !== 'string' || !Number.isInteger(res.body?.id)) {
      tally.wrongAnswer('grant', `no token or id in ${res.text.slice(0, 160)}`);
      return;
    }
    push(live, { id: res.body.id, value: res.body.token });
  }

  async function verify() {
    const t = pick(live);
    if (!t) return grant();
    const res = await call(base, 'GET', '/api/v1/auth/verify', { token: t.value });
    // A token revoked by another worker since it was picked may be refused: not a wrong answer.
    if (res.status === 401 && !live.includes(t)) {
      tally.count('verify');
      return;
    }
    expectStatus('verify', res, 204, 'a valid token was refused');
  }

  async function verifyRevoked() {
    const value = pick(revoked);
    if (!value) return revoke();
    const res = await call(base, 'GET', '/api/v1/auth/verify', { token: value });
    expectStatus('verify-revoked', res, 401, 'a revoked token was accepted');
  }

  async function revoke() {
    if (live.length < 20) return grant();
    const i = Math.floor(Math.random() * live.length);
    const [t] = live.splice(i, 1);
    const res = await call(base, 'DELETE', `/api/v1/apptoken/${t.id}`, { token: admin });
    if (!expectStatus('revoke', res, 200)) return;
    if (res.body?.revoked !== true) tally.wrongAnswer('revoke', `not revoked: ${res.text.slice(0, 160)}`);
    const after = await call(base, 'GET', '/api/v1/auth/verify', { token: t.value });
    expectStatus('verify-revoked', after, 401, 'a token was accepted right after its revocation');
    push(revoked, t.value);
  }

  async function exchange() {
    const t = pick(live);
    if (!t) return grant();
    const res = await call(base, 'POST', '/api/v1/token/exchange', {
      json: { grant_type: EXCHANGE, subject_token: t.value },
    });
    if (res.status === 401 && !live.includes(t)) {
      tally.count('exchange');
      return;
    }
    if (!expectStatus('exchange', res, 200, 'a valid subject token was refused')) return;
    const jwt = res.body?.access_token;
    if (typeof jwt !== 'string' || jwt.split('.').length !== 3) {
      tally.wrongAnswer('exchange', `no access JWT in ${res.text.slice(0, 160)}`);
      return;
    }
    const check = await call(base, 'GET', '/api/v1/auth/verify', { token: jwt });
    // Revoking the subject token since revokes what was obtained with it.
    if (check.status === 401 && !live.includes(t)) {
      tally.count('verify-exchanged');
      return;
    }
    expectStatus('verify-exchanged', check, 204, 'an exchanged access token was refused');
  }

  async function newChain() {
    // From a token the workload never revokes: revoking it would end its refresh families.
    const res = await call(base, 'POST', '/api/v4/accesstoken', {
      authtoken: chainParent,
      json: { tokenName: 's' },
    });
    if (!expectStatus('refresh-create', res, 200, 'a valid token was refused')) return;
    const refresh = res.body?.tokenInfo?.refreshToken;
    if (typeof refresh !== 'string' || refresh.length === 0) {
      tally.wrongAnswer('refresh-create', `no refreshToken in ${res.text.slice(0, 160)}`);
      return;
    }
    chains.push({ refresh, busy: false, rotations: 0 });
  }

  /** One rotation: the answer's refresh_token replaces the one sent, which is never sent again. */
  async function rotate(chain) {
    const sent = chain.refresh;
    const res = await call(base, 'POST', '/api/v1/token/refresh', { json: { refresh_token: sent } });
    if (!expectStatus('refresh', res, 200, 'a current refresh token was refused')) return null;
    const next = res.body?.refresh_token;
    if (typeof next !== 'string' || next === sent || typeof res.body?.access_token !== 'string') {
      tally.wrongAnswer('refresh', `no new refresh_token in ${res.text.slice(0, 160)}`);
      return null;
    }
    chain.refresh = next;
    chain.rotations++;
    return sent;
  }

  async function refresh() {
    const chain = chains.find((c) => !c.busy);
    if (!chain) return chains.length < CHAINS ? newChain() : verify();
    chain.busy = true;
    try {
      const spent = await rotate(chain);
      if (spent === null || chain.rotations >= CHAIN_ROTATIONS) chains.splice(chains.indexOf(chain), 1);
    } finally {
      chain.busy = false;
    }
  }

  /**
   * Once a minute: rotate a chain, then present the refresh token just spent. It must be
   * refused, and (SPEC §5) the reuse revokes the whole family, so the chain's new token too.
   */
  async function reuseCheck() {
    const chain = chains.find((c) => !c.busy);
    if (!chain) return newChain();
    chain.busy = true;
    reuseBusy = true;
    chains.splice(chains.indexOf(chain), 1);
    try {
      const spent = await rotate(chain);
      if (spent === null) return;
      const reused = await call(base, 'POST', '/api/v1/token/refresh', { json: { refresh_token: spent } });
      expectStatus('refresh-reuse', reused, 401, 'a spent refresh token was accepted');
      const family = await call(base, 'POST', '/api/v1/token/refresh', {
        json: { refresh_token: chain.refresh },
      });
      expectStatus('refresh-reuse', family, 401, 'the family survived the reuse of a spent refresh token');
    } finally {
      reuseBusy = false;
    }
  }

  const operations = [
    [40, verify],
    [8, verifyRevoked],
    [10, grant],
    [8, revoke],
    [12, exchange],
    [20, refresh],
  ];
  const totalWeight = operations.reduce((n, [w]) => n + w, 0);
  const choose = () => {
    let r = Math.random() * totalWeight;
    for (const [w, op] of operations) {
      r -= w;
      if (r < 0) return op;
    }
    return verify;
  };

  // A few tokens and chains before the workers start.
  const parent = await call(base, 'POST', '/api/v1/apptoken/grant', {
    token: admin,
    json: { name: 'soak chains' },
  });
  if (parent.status !== 200) throw new Error(`grant: HTTP ${parent.status} ${parent.text}`);
  const chainParent = parent.body.token;
  for (let i = 0; i < 40; i++) await grant();
  for (let i = 0; i < CHAINS; i++) await newChain();

  const worker = async () => {
    while (Date.now() < deadline && !gone()) {
      if (!reuseBusy && Date.now() >= nextReuseAt) {
        nextReuseAt = Date.now() + reuseEveryMs;
        await reuseCheck();
        continue;
      }
      await choose()();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const mean = (xs) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const fmt = (n, digits = 1) => (n === null || n === undefined ? 'n/a' : n.toFixed(digits));

async function soakOne(dialect, options, runId) {
  const dataDir = mkdtempSync(join(tmpdir(), `tokenward-soak-${dialect}-`));
  const schema = dialect === 'postgres' ? `tw_soak_${runId}` : '';
  const port = await freePort();
  const server = await startTokenward({
    TOKENWARD_DATA_DIR: dataDir,
    TOKENWARD_MASTER_KEY: randomBytes(32).toString('hex'),
    TOKENWARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Every request comes from 127.0.0.1 and the checks present revoked and unknown tokens on
    // purpose: the guessing limiter (one address, 20 failures a minute) would block the load.
    TOKENWARD_AUTH_FAILURE_MAX: '1000000',
    DATABASE_URL: dialect === 'postgres' ? options.pgUrl : '',
    TOKENWARD_DATABASE_SCHEMA: schema,
  });
  const base = server.url;
  const tally = new Tally();
  const durationMs = options.minutes * 60_000;
  // The first minute warms up (JIT, caches, pools); shorter runs warm up for their first third.
  const warmupMs = Math.min(60_000, durationMs / 3);
  const samples = []; // { atMs, rssMiB }
  let result;
  try {
    const admin = await adminToken(base);
    const started = Date.now();
    const deadline = started + durationMs;
    log(
      `[${dialect}] Tokenward pid ${server.pid} at ${base}; ${options.minutes} min, ${options.concurrency} in flight`,
    );
    const sampler = setInterval(() => {
      const rss = rssMiB(server.pid);
      if (rss !== null) samples.push({ atMs: Date.now() - started, rssMiB: rss });
    }, SAMPLE_MS);
    let lastTotal = 0;
    let lastAt = started;
    const progress = setInterval(() => {
      const now = Date.now();
      const total = tally.total;
      log(
        `[${dialect}] ${fmt((now - started) / 1000, 0)} s: ${total} requests, ${fmt(
          ((total - lastTotal) * 1000) / (now - lastAt),
          0,
        )} req/s, ${tally.errors} errors, ${tally.wrong} wrong answers, RSS ${fmt(rssMiB(server.pid))} MiB`,
      );
      lastTotal = total;
      lastAt = now;
    }, PROGRESS_MS);
    try {
      await workload(base, admin, tally, {
        deadline,
        concurrency: options.concurrency,
        reuseEveryMs: Math.min(60_000, durationMs / 3),
        gone: () => server.exited !== null,
      });
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
    const elapsedMs = Date.now() - started;
    const last = rssMiB(server.pid);
    if (last !== null) samples.push({ atMs: elapsedMs, rssMiB: last });
    // Means over windows longer than the garbage collector's cycle: under this load V8's heap
    // swings by 50–100 MiB over a minute or more (live heap and native memory stay level), so a
    // 30 s window measures where in that cycle it fell. 2 minutes (a fifth of shorter runs).
    const windowMs = Math.min(WINDOW_MS, durationMs / 5);
    const afterWarmup = mean(
      samples.filter((s) => s.atMs >= warmupMs && s.atMs < warmupMs + windowMs).map((s) => s.rssMiB),
    );
    const atEnd = mean(samples.filter((s) => s.atMs > elapsedMs - windowMs).map((s) => s.rssMiB));
    const growth = afterWarmup && atEnd ? ((atEnd - afterWarmup) / afterWarmup) * 100 : null;
    if (server.exited !== null) {
      tally.errors++;
      tally.examples.unshift(
        `the server exited during the run (${server.exited.code ?? server.exited.signal}): ${server.stderr.slice(-1500)}`,
      );
    } else {
      const stopped = await stopTokenward(server);
      if (stopped.code !== 0) {
        tally.errors++;
        tally.examples.push(`server exited with ${stopped.code ?? stopped.signal} on SIGTERM`);
      }
    }
    if (server.errorLines.length > 0) {
      tally.errors += server.errorLines.length;
      tally.examples.push(...server.errorLines.slice(0, 5).map((l) => `server log: ${l}`));
    }
    result = {
      dialect,
      elapsedMs,
      tally,
      afterWarmup,
      atEnd,
      peak: Math.max(...samples.map((s) => s.rssMiB)),
      growth,
      warnLines: server.warnLines,
      warnings: server.warnings,
    };
  } finally {
    await stopTokenward(server).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    if (schema)
      await dropSchemas(options.pgUrl, new Set([schema])).catch((e) => log(`drop ${schema}: ${e.message}`));
  }
  return result;
}

function summary(r) {
  const seconds = r.elapsedMs / 1000;
  const kinds = [...r.tally.requests].sort((a, b) => b[1] - a[1]);
  const ok =
    r.tally.errors === 0 && r.tally.wrong === 0 && r.growth !== null && r.growth < MAX_GROWTH_PERCENT;
  const lines = [
    `[${r.dialect}] summary after ${fmt(seconds, 0)} s: ${ok ? 'PASS' : 'FAIL'}`,
    `  requests: ${r.tally.total} (${fmt(r.tally.total / seconds, 0)} req/s): ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  errors: ${r.tally.errors}, wrong answers: ${r.tally.wrong}, server warnings logged: ${r.warnLines}`,
    `  RSS (window means) after warm-up ${fmt(r.afterWarmup)} MiB, at the end ${fmt(r.atEnd)} MiB, peak ${fmt(r.peak)} MiB, growth ${fmt(r.growth)} % (limit ${MAX_GROWTH_PERCENT} %)`,
    ...r.tally.examples.map((e) => `  ${e}`),
    ...r.warnings.map((w) => `  server warning (not counted as an error): ${w}`),
  ];
  return { ok, text: lines.join('\n') };
}

async function main() {
  let options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.help) {
    log(USAGE);
    return;
  }
  if (!existsSync(SERVER_ENTRY)) {
    process.stderr.write(`soak: ${SERVER_ENTRY} is missing: build first (npm run soak builds it)\n`);
    process.exit(2);
  }
  const runId = randomBytes(4).toString('hex');
  const results = [];
  for (const dialect of options.stores) results.push(await soakOne(dialect, options, runId));
  log('');
  let ok = true;
  for (const r of results) {
    const s = summary(r);
    ok &&= s.ok;
    log(s.text);
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
