// Runs one load in a separate process (wrk when installed, else autocannon) and returns
// throughput, latency percentiles and every non-success the generator saw.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runToEnd } from './proc.mjs';

const WRK_SCRIPT = fileURLToPath(new URL('./wrk.lua', import.meta.url));
const AUTOCANNON_RUNNER = fileURLToPath(new URL('./autocannon-load.mjs', import.meta.url));

/** 'wrk' when a working wrk is on the PATH, else 'autocannon'. */
export function detectLoader() {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  // wrk --version prints its banner and exits 1; a missing binary gives an error instead.
  return !probe.error && /wrk/i.test(`${probe.stdout}${probe.stderr}`) ? 'wrk' : 'autocannon';
}

/**
 * @param {{ loader: 'wrk' | 'autocannon', url: string, method?: string, body?: string,
 *   contentType?: string, token?: string, tokensFile?: string, durationS: number,
 *   connections: number }} o
 */
export async function runLoad(o) {
  const durationS = Math.max(1, Math.round(o.durationS));
  let stdout;
  if (o.loader === 'wrk') {
    ({ stdout } = await runToEnd(
      'wrk',
      ['-t1', `-c${o.connections}`, `-d${durationS}s`, '--timeout', '5s', '-s', WRK_SCRIPT, o.url],
      {
        env: {
          BENCH_METHOD: o.method ?? 'GET',
          BENCH_BODY: o.body ?? '',
          BENCH_CONTENT_TYPE: o.contentType ?? '',
          BENCH_TOKEN: o.token ?? '',
          BENCH_TOKENS_FILE: o.tokensFile ?? '',
        },
        timeoutMs: (durationS + 30) * 1000,
      },
    ));
  } else {
    ({ stdout } = await runToEnd(
      process.execPath,
      [
        AUTOCANNON_RUNNER,
        JSON.stringify({
          url: o.url,
          method: o.method ?? 'GET',
          body: o.body,
          contentType: o.contentType,
          token: o.token,
          tokensFile: o.tokensFile,
          durationS,
          connections: o.connections,
        }),
      ],
      { timeoutMs: (durationS + 30) * 1000 },
    ));
  }
  const line = stdout.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (!line) throw new Error(`${o.loader} printed no result:\n${stdout.slice(-1000)}`);
  const r = JSON.parse(line.slice('BENCHJSON '.length));
  const seconds = r.durationUs / 1e6;
  const e = r.errors;
  return {
    requests: r.requests,
    seconds,
    rps: r.requests / seconds,
    latencyMsP50: r.p50Us / 1000,
    latencyMsP90: r.p90Us / 1000,
    latencyMsP99: r.p99Us / 1000,
    latencyMsMax: r.maxUs / 1000,
    /** Answers with a 4xx/5xx status. */
    failedStatus: e.status,
    socketErrors: e.connect + e.read + e.write + e.timeout,
    ...(r.statusCounts ? { statusCounts: r.statusCounts } : {}),
  };
}
