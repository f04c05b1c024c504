// The load generator when wrk is not installed: autocannon in its own process, configured
// by one JSON argument, printing one JSON line. Round-robin over a token file when given.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const o = JSON.parse(process.argv[2]);
const headers = {};
if (o.contentType) headers['content-type'] = o.contentType;
if (o.token) headers.authorization = `Bearer ${o.token}`;
const options = {
  url: o.url,
  connections: o.connections,
  duration: o.durationS,
  method: o.method,
  headers,
  timeout: 5,
};
if (o.body) options.body = o.body;
if (o.tokensFile) {
  const tokens = readFileSync(o.tokensFile, 'utf8').split('\n').filter(Boolean);
  let i = 0;
  options.requests = [
    {
      setupRequest(request) {
        i = (i + 1) % tokens.length;
        return { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[i]}` } };
      },
    },
  ];
}
const result = await autocannon(options);
const statusCounts = {};
for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = v.count;
const notOk = Object.entries(statusCounts)
  .filter(([code]) => Number(code) >= 400)
  .reduce((n, [, count]) => n + count, 0);
process.stdout.write(
  `BENCHJSON ${JSON.stringify({
    requests: result.requests.total,
    durationUs: result.duration * 1e6,
    bytes: result.throughput.total,
    p50Us: result.latency.p50 * 1000,
    p90Us: result.latency.p90 * 1000,
    p99Us: result.latency.p99 * 1000,
    maxUs: result.latency.max * 1000,
    meanUs: result.latency.average * 1000,
    errors: { connect: 0, read: result.errors, write: 0, timeout: result.timeouts, status: notOk },
    statusCounts,
  })}\n`,
);
