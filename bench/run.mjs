// `npm run bench`: what verifying a token costs, side by side with the ceiling and with what a
// user would pick instead. Starts everything itself on 127.0.0.1, each server and the load
// generator in its own process, interleaves the targets over rounds, checks every answer,
// and prints the table (also written to bench/results/ and bench/README.md).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkUnderLoad } from './lib/checker.mjs';
import { detectLoader, runLoad } from './lib/load.mjs';
import { machineInfo } from './lib/machine.mjs';
import { readOptions, USAGE } from './lib/options.mjs';
import { killAll, runToEnd, startServer } from './lib/proc.mjs';
import { summariseProfile } from './lib/profile.mjs';
import {
  aggregate,
  checksMarkdown,
  evaluateGoals,
  goalsMarkdown,
  TARGETS,
  tableMarkdown,
  updateReadme,
} from './lib/report.mjs';
import { createSchema, dropSchemas, prepareStores, settlePostgres, sqliteCache } from './lib/stores.mjs';
import { credentials, SERVER_ENTRY, startTokenward } from './lib/tokenward.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const log = (line) => process.stdout.write(`${line}\n`);

let options;
try {
  options = readOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  log(USAGE);
  process.exit(0);
}

const runId = randomBytes(4).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'tokenward-bench-'));
/** The master key of every store of the run (the cache's, when seeded stores are cached). */
let masterKey = randomBytes(32).toString('hex');
const schemas = new Set();
const servers = [];

async function cleanup() {
  await Promise.allSettled(servers.map((s) => s.stop()));
  killAll();
  await dropSchemas(options.pgUrl, schemas).catch((err) => log(`could not drop schemas: ${err.message}`));
  if (!options.keep) rmSync(root, { recursive: true, force: true });
  else log(`kept the stores in ${root}`);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`\n${signal}: stopping servers and dropping schemas…`);
    cleanup().finally(() => process.exit(130));
  });
}

async function track(serverPromise) {
  const server = await serverPromise;
  servers.push(server);
  return server;
}

function readyJson(name, script, env) {
  return track(
    startServer({
      name,
      command: process.execPath,
      args: [join(HERE, 'servers', script)],
      env: { PORT: '0', ...env },
      ready: /READY (\{.*\})\n/,
      timeoutMs: 120_000,
    }),
  );
}

/** Starts the better-auth peer on a fresh store of the dialect. */
async function startPeer(dialect) {
  const env = { BENCH_DIALECT: dialect, BENCH_SECRET: randomBytes(32).toString('hex'), BENCH_KEYS: '100' };
  if (dialect === 'sqlite') {
    mkdirSync(join(root, 'peer-sqlite'), { recursive: true });
    env.BENCH_SQLITE_FILE = join(root, 'peer-sqlite', 'better-auth.db');
  } else {
    const schema = `ba_bench_${runId}`;
    schemas.add(schema);
    await createSchema(options.pgUrl, schema);
    env.BENCH_DATABASE_URL = options.pgUrl;
    env.BENCH_SCHEMA = schema;
  }
  const server = await readyJson(`better-auth ${dialect}`, 'better-auth.mjs', env);
  return {
    server,
    url: `http://127.0.0.1:${server.info.port}`,
    key: server.info.keys[0],
    schema: env.BENCH_SCHEMA,
  };
}

/**
 * Targets 3–8 of one Tokenward server on one store. Larger stores get only the verify targets
 * (--quick: only the warm one), and --quick runs targets 5–8 on SQLite only.
 */
async function tokenwardTargets(server, store, { smallest }) {
  const creds = await credentials(server.url);
  const kept = readFileSync(store.tokensFile, 'utf8').split('\n').filter(Boolean);
  const common = {
    server,
    dialect: store.dialect,
    size: store.size,
    schema: store.schema,
    base: server.url,
    adminToken: creds.adminToken,
  };
  const verifyUrl = `${server.url}/api/v1/auth/verify`;
  const targets = [{ ...common, n: 3, url: verifyUrl, token: kept[0], check: true }];
  if (store.size === smallest || !options.quick) {
    targets.push({
      ...common,
      n: 4,
      url: verifyUrl,
      tokensFile: store.tokensFile,
      tokenCount: kept.length,
      check: true,
    });
  }
  // --quick measures the rest on SQLite only; the larger stores get only the verify targets.
  if (store.size !== smallest || (options.quick && store.dialect === 'postgres')) return targets;
  const json = { method: 'POST', contentType: 'application/json', token: creds.adminToken };
  targets.push(
    { ...common, n: 5, url: verifyUrl, token: creds.accessJwt },
    { ...common, n: 6, url: `${server.url}/api/v1/apptoken/${creds.adminTokenId}`, token: creds.adminToken },
    {
      ...common,
      ...json,
      n: 7,
      url: `${server.url}/api/v1/token/introspect`,
      body: JSON.stringify({ token: kept[1] }),
    },
    { ...common, ...json, n: 8, url: `${server.url}/api/v1/apptoken/grant`, body: '{"name":"bench-grant"}' },
  );
  return targets;
}

/** One measured run: warm-up (discarded), then the measurement with RSS sampled. */
/** A round-robin target is warm once every token was presented (at most 10 warm-ups). */
async function warmUp(load, tokenCount) {
  let warmed = 0;
  for (let i = 0; i < 10 && (i === 0 || warmed < tokenCount); i++) {
    warmed += (await runLoad({ ...load, durationS: options.warmupS })).requests;
  }
}

async function measure(target, round, ceilingRps) {
  const load = {
    loader: options.loader,
    url: target.url,
    method: target.method,
    body: target.body,
    contentType: target.contentType,
    token: target.token,
    tokensFile: target.tokensFile,
    connections: options.connections,
  };
  target.server.sampleMemory();
  // The correctness check runs under the warm-up's load (kept going until the check is done),
  // so its writes and revocations never fall inside the measurement.
  let checking = false;
  const check = target.check
    ? checkUnderLoad({ base: target.base, adminToken: target.adminToken, durationMs: options.warmupS * 1000 })
    : null;
  if (check) {
    checking = true;
    check.then(
      () => {
        checking = false;
      },
      () => {
        checking = false;
      },
    );
  }
  await warmUp(load, target.tokenCount ?? 0);
  while (checking) await runLoad({ ...load, durationS: 1 });
  const checked = check ? await check : null;
  const cpuBefore = target.server.cpuMs();
  const result = await runLoad({ ...load, durationS: options.durationS });
  const cpuAfter = target.server.cpuMs();
  const memory = target.server.memoryPeak();
  const m = {
    round,
    n: target.n,
    dialect: target.dialect ?? null,
    size: target.size ?? null,
    ...result,
    peakRssMiB: memory.peakRssMiB,
    hwmMiB: memory.hwmMiB,
    // The server's own CPU time per answered request: unlike req/s, it hardly moves when other
    // work competes for the CPUs.
    cpuUsPerRequest:
      cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) * 1000) / result.requests : null,
    ratio: ceilingRps ? result.rps / ceilingRps : 1,
  };
  if (checked) m.check = checked;
  return m;
}

/** CPU profiles of the server, one process per target, only the measured load counted. */
async function profileTargets(store, numbers) {
  const profiles = {};
  for (const n of numbers) {
    const name = `target-${n}`;
    const profDir = join(root, `profile-${name}`);
    const server = await track(
      startTokenward({
        name: `tokenward profile ${name}`,
        dataDir: store.dataDir,
        masterKey,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}.cpuprofile`],
      }),
    );
    const target = (await tokenwardTargets(server, store, { smallest: store.size })).find((t) => t.n === n);
    const load = { ...target, loader: options.loader, connections: options.connections };
    await warmUp(load, Math.max(target.tokenCount ?? 0, 10_000));
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const r = await runLoad({ ...load, durationS: options.durationS + 2 });
    const toUs = Number(process.hrtime.bigint() / 1000n);
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    const summary = summariseProfile(join(profDir, `${name}.cpuprofile`), { windowUs: [fromUs, toUs] });
    profiles[name] = { target: n, rps: r.rps, ...summary };
    log(
      `\nCPU profile, target ${n} (${TARGETS[n]}), ${Math.round(r.rps)} req/s while profiled, ${summary.window}, ${summary.busyMs} ms busy:`,
    );
    log('  self time by area:');
    for (const a of summary.areas.slice(0, 12)) log(`    ${a.percent.toFixed(1).padStart(5)} %  ${a.name}`);
    log('  top functions by self time:');
    for (const f of summary.functions.slice(0, 20))
      log(`    ${f.percent.toFixed(1).padStart(5)} %  ${f.name}`);
  }
  writeFileSync(join(HERE, 'results', 'profile-latest.json'), `${JSON.stringify(profiles, null, 2)}\n`);
  return profiles;
}

async function main() {
  if (!existsSync(SERVER_ENTRY)) {
    throw new Error(`${SERVER_ENTRY} is missing: run \`npm run bench\`, which builds the server first.`);
  }
  const machine = machineInfo();
  options.loader ??= detectLoader();
  if (options.loader === 'autocannon') {
    log('wrk is not installed: using autocannon (apt-get install -y wrk for a lighter load generator).');
  }
  log(
    `Tokenward bench${options.quick ? ' --quick' : ''}: ${options.dialects.join(' + ')}, sizes ${options.sizes.join(', ')}, ` +
      `${options.rounds} rounds × ${options.durationS} s (+${options.warmupS} s warm-up), ${options.connections} connections, ` +
      `load by ${options.loader}; ${machine.nproc} CPUs (${machine.cpuModel}), node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`,
  );

  log(`[${elapsed()}] preparing stores…`);
  const sizes = options.profileOnly ? [options.sizes[0]] : options.sizes;
  const dialects = options.profileOnly ? ['sqlite'] : options.dialects;
  let cache = null;
  if (options.cache && dialects.includes('sqlite')) {
    cache = sqliteCache();
    masterKey = cache.masterKey;
  }
  const stores = await prepareStores({
    dialects,
    sizes,
    // --quick keeps PostgreSQL to the smallest store: seeding it is what takes the time.
    sizesOf: (dialect) => (options.quick && dialect === 'postgres' ? [sizes[0]] : sizes),
    cache,
    root,
    masterKey,
    pgUrl: options.pgUrl,
    runId,
    log,
    schemas,
  });
  const seeding = stores.map((s) => ({ dialect: s.dialect, size: s.size, seconds: s.seedSeconds }));

  if (options.profileOnly) {
    await profileTargets(stores[0], options.profileTargets);
    return;
  }

  const smallest = sizes[0];
  const baseSqlite = stores.find((s) => s.dialect === 'sqlite') ?? stores[0];
  const frameworkToken = readFileSync(baseSqlite.tokensFile, 'utf8').split('\n')[0];
  log(`[${elapsed()}] starting the peers…`);
  // The peers stay up for the whole run: their figure is their store's, not their process's.
  const peers = Object.fromEntries(
    (await Promise.all(dialects.map((d) => startPeer(d)))).map((p, i) => [dialects[i], p]),
  );
  /** Peak memory over each server process's life (VmHWM), as each one stops. */
  const hwm = [];

  /**
   * The ceilings and Tokenward, started afresh for a round: one process can run the same code
   * markedly slower or faster than the next (JIT decisions, memory layout, the moment it runs),
   * so each round gets its own processes and the rounds' min–max shows that spread instead of
   * hiding it.
   */
  async function startRound() {
    const [ceiling, framework, ...rest] = await Promise.all([
      readyJson('ceiling', 'ceiling.mjs', {}),
      readyJson('framework', 'framework.mjs', { BENCH_TOKENS_FILE: baseSqlite.tokensFile }),
      ...stores.map((s) =>
        track(
          startTokenward({
            name: `tokenward ${s.dialect}-${s.size}`,
            dataDir: s.dataDir,
            masterKey,
            ...(s.dialect === 'postgres' ? { databaseUrl: options.pgUrl, schema: s.schema } : {}),
          }),
        ),
      ),
    ]);
    const targets = [
      { n: 1, server: ceiling, url: `http://127.0.0.1:${ceiling.info.port}/` },
      {
        n: 2,
        server: framework,
        url: `http://127.0.0.1:${framework.info.port}/api/v1/auth/verify`,
        token: frameworkToken,
      },
    ];
    for (const [i, store] of stores.entries()) {
      targets.push(...(await tokenwardTargets(rest[i], store, { smallest })));
      if (store.size !== smallest) continue;
      const peer = peers[store.dialect];
      targets.push({
        n: 9,
        server: peer.server,
        dialect: store.dialect,
        schema: peer.schema,
        size: null,
        url: peer.url,
        token: peer.key,
      });
    }
    const chosen = options.targets ? targets.filter((t) => options.targets.has(t.n)) : targets;

    // Every kept token must verify before anything is measured (a stale store fails fast here).
    for (const t of chosen.filter((x) => x.n === 3)) {
      const res = await fetch(t.url, { headers: { authorization: `Bearer ${t.token}` } });
      await res.arrayBuffer();
      if (res.status !== 204)
        throw new Error(`${t.dialect} ${t.size}: a seeded token was refused (HTTP ${res.status})`);
    }

    // A fresh process spends its first thousands of requests compiling hot code (on V8's
    // background threads, counted in its CPU time): every target gets one unmeasured pass
    // first, so a round does not measure the JIT of whichever target comes first on a server.
    // (--quick keeps to the warm-up before each measurement, to stay under 90 s.)
    for (const t of options.quick ? [] : chosen) {
      await runLoad({
        loader: options.loader,
        url: t.url,
        method: t.method,
        body: t.body,
        contentType: t.contentType,
        token: t.token,
        tokensFile: t.tokensFile,
        connections: options.connections,
        durationS: 1,
      });
    }
    return chosen;
  }

  /** Stops a round's processes (not the peers), keeping each one's peak memory. */
  async function stopRound(targets) {
    const own = [...new Set(targets.filter((t) => t.n !== 9).map((t) => t.server))];
    for (const server of own) hwm.push({ name: server.name, hwmMiB: server.memoryPeak().hwmMiB });
    await Promise.all(own.map((server) => server.stop()));
    for (const server of own) servers.splice(servers.indexOf(server), 1);
  }

  const measurements = [];
  for (let round = 1; round <= options.rounds; round++) {
    // Odd rounds run the targets in order, even rounds in reverse (the ceiling always first),
    // so a slow drift of the machine does not favour one end of the list.
    log(
      `[${elapsed()}] round ${round}/${options.rounds}: starting servers${options.quick ? '' : ', warming every target once (not measured)'}`,
    );
    const targets = await startRound();
    const order = round % 2 === 1 ? targets.slice(1) : targets.slice(1).reverse();
    const ceilingM = await measure(targets[0], round, null);
    measurements.push(ceilingM);
    log(`  1 ceiling: ${Math.round(ceilingM.rps)} req/s, ${ceilingM.cpuUsPerRequest?.toFixed(1)} µs CPU/req`);
    for (const t of order) {
      const m = await measure(t, round, ceilingM.rps);
      measurements.push(m);
      // Targets that write (grant; the peer writes on every verify) leave PostgreSQL vacuum and
      // checkpoint work that would otherwise run during whichever target comes next.
      if (t.dialect === 'postgres' && (t.n === 8 || t.n === 9)) await settlePostgres(options.pgUrl, t.schema);
      const where = t.dialect ? ` ${t.dialect}${t.size ? ` ${t.size}` : ''}` : '';
      const bad = m.failedStatus + m.socketErrors;
      log(
        `  ${t.n}${where}: ${Math.round(m.rps)} req/s (${m.ratio.toFixed(3)}), ${m.cpuUsPerRequest?.toFixed(1)} µs CPU/req, p99 ${m.latencyMsP99.toFixed(2)} ms, ` +
          `RSS ${Math.round(m.peakRssMiB)} MiB${bad ? `, ${bad} FAILED` : ''}${m.check ? `, check ${m.check.passed ? 'ok' : 'FAILED'}` : ''}`,
      );
    }
    await stopRound(targets);
  }

  for (const peer of Object.values(peers)) {
    hwm.push({ name: peer.server.name, hwmMiB: peer.server.memoryPeak().hwmMiB });
  }
  const rows = aggregate(measurements);
  const goals = evaluateGoals(rows, sizes);
  const allChecks = rows.flatMap((r) => r.checks);
  const checksPassed = allChecks.every((c) => c.passed);
  const failedRequests = rows.filter((r) => r.n !== 9).reduce((a, r) => a + r.failed, 0);

  // Every measured server stops before the profile, which opens the smallest SQLite store again.
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  let profiles = null;
  if (options.profile) {
    log(`[${elapsed()}] profiling…`);
    profiles = await profileTargets(baseSqlite, options.profileTargets);
  }

  const commit = await runToEnd('git', ['rev-parse', '--short', 'HEAD'])
    .then((r) => r.stdout.trim())
    .catch(() => null);
  const result = {
    date: new Date().toISOString(),
    commit,
    quick: options.quick,
    options: {
      rounds: options.rounds,
      durationS: options.durationS,
      warmupS: options.warmupS,
      connections: options.connections,
      loader: options.loader,
      dialects,
      sizes,
      targets: options.targets ? [...options.targets].sort((a, b) => a - b) : null,
      logLevel: 'warn',
    },
    machine,
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    seeding,
    seededStoresFromCache: stores.some((s) => s.cached),
    rows,
    goals,
    correctness: { checksPassed, checks: allChecks.length, failedRequests },
    serverPeakMemory: hwm,
    measurements,
    ...(profiles ? { profiles } : {}),
    durationS: Math.round((performance.now() - started) / 1000),
  };

  const table = tableMarkdown(rows);
  log(`\n${table}\n`);
  if (busy(result)) {
    log(
      `Note: other work was running (load average ${machine.loadAverageAtStart.join(' ')} at the start, ` +
        `${result.loadAverageAtEnd.join(' ')} at the end, ${machine.nproc} CPUs): the figures are noisy.\n`,
    );
  }
  log('Targets (reported, never asserted):');
  log(goalsMarkdown(goals));
  log(
    `\nCorrectness under load: ${checksPassed ? 'all' : 'NOT all'} ${allChecks.length} revocation checks passed; ` +
      `${failedRequests} failed requests on Tokenward and the ceilings (every verify answer was expected to be 204).`,
  );
  if (!checksPassed) log(checksMarkdown(rows));

  mkdirSync(join(HERE, 'results'), { recursive: true });
  // Only a full run replaces latest.json (committed); quick and partial runs have their own files.
  const name = options.quick ? 'latest-quick.json' : options.targets ? 'latest-partial.json' : 'latest.json';
  const out = join(HERE, 'results', name);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`\nwritten: ${out}`);
  if (options.readme) {
    updateReadme(join(HERE, 'README.md'), readmeBlock(result, table));
    log(`updated: ${join(HERE, 'README.md')}`);
  }
  log(`[${elapsed()}] done`);
  if (!checksPassed || failedRequests > 0) process.exitCode = 1;
}

/**
 * Whether other work was competing for the CPUs: before the start, or at the end beyond what
 * the bench itself adds (a busy server and load generator make about one per CPU).
 */
function busy(result) {
  const cpus = result.machine.nproc;
  return result.machine.loadAverageAtStart[0] > 0.75 * cpus || result.loadAverageAtEnd[0] > 1.75 * cpus;
}

function readmeBlock(result, table) {
  const m = result.machine;
  return [
    `Measured ${result.date.slice(0, 16).replace('T', ' ')} UTC on commit \`${result.commit}\`, ` +
      `${result.options.rounds} rounds × ${result.options.durationS} s per target (+${result.options.warmupS} s warm-up), ` +
      `${result.options.connections} connections, load by ${result.options.loader}, server LOG_LEVEL=warn; the whole run took ${result.durationS} s.`,
    '',
    `Machine: \`nproc\` ${m.nproc}, ${m.cpuModel}, node ${m.node}, ${m.kernel}; load average ${m.loadAverageAtStart.join(' ')} at the start, ${result.loadAverageAtEnd.join(' ')} at the end.`,
    ...(busy(result)
      ? [
          '',
          '**Other work was running on this machine during the run** (see the load averages): ' +
            'the server and the load generator did not have the CPUs to themselves, so every figure is low and noisy. ' +
            'Ratios to the ceiling of the same round hold up better than req/s; rerun on a quiet machine before drawing conclusions.',
        ]
      : []),
    '',
    '```',
    m.freeH,
    '```',
    '',
    table,
    '',
    'Targets of issue #6 (reported, never asserted):',
    '',
    goalsMarkdown(result.goals),
    '',
    `Correctness under load: ${result.correctness.checksPassed ? 'every' : 'NOT every'} revocation check passed ` +
      `(${result.correctness.checks} checks), ${result.correctness.failedRequests} failed requests.`,
    '',
    checksMarkdown(result.rows),
    ...profileMarkdown(result.profiles),
  ].join('\n');
}

/** Where the server's CPU went during the profiled targets (self time, measured load only). */
function profileMarkdown(profiles) {
  if (!profiles) return [];
  const lines = [
    '',
    'Where the server spends its CPU (`--profile`, SQLite, self time during the measured load):',
    '',
  ];
  for (const p of Object.values(profiles)) {
    const areas = p.areas
      .slice(0, 6)
      .map((a) => `${a.name} ${a.percent} %`)
      .join(', ');
    const functions = p.functions
      .slice(0, 8)
      .map((f) => `\`${f.name.trim()}\` ${f.percent} %`)
      .join(', ');
    lines.push(
      `- target ${p.target} (${TARGETS[p.target]}, ${Math.round(p.rps)} req/s while profiled): ${areas}. Top functions: ${functions}.`,
    );
  }
  return lines;
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
