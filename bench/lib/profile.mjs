// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per area.
import { readFileSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url).href;

function shortUrl(url) {
  if (!url) return '';
  let u = url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) u = u.slice(nm + 'node_modules/'.length);
  return u;
}

function areaOf(functionName, url) {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'program (V8/native, unattributed)';
  if (!url) return 'native (crypto, streams, syscalls)';
  if (url.startsWith('node:')) return 'node core (http, net, streams)';
  const u = shortUrl(url);
  if (u.startsWith('apps/server/')) return 'tokenward server';
  if (u.startsWith('packages/core/')) return 'tokenward core';
  if (u.startsWith('packages/store/')) return 'tokenward store';
  if (u.startsWith('kysely/') || u.startsWith('better-sqlite3/') || u.startsWith('pg'))
    return 'kysely / driver';
  if (u.startsWith('lru-cache/')) return 'lru-cache';
  if (u.startsWith('pino') || u.startsWith('thread-stream') || u.startsWith('sonic-boom'))
    return 'logging (pino)';
  if (u.startsWith('jose/')) return 'jose';
  if (
    /^(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify|ajv|fast-uri|toad-cache|process-warning|abstract-logging|rfdc|secure-json-parse|fast-querystring|proxy-addr|cookie)/.test(
      u,
    )
  ) {
    return 'fastify and its plugins';
  }
  return 'other dependencies';
}

/**
 * Self time per function and per area, largest first, in ms and % of non-idle time. With a
 * window (CLOCK_MONOTONIC microseconds, as `process.hrtime.bigint() / 1000n` reads it in any
 * process), only the samples inside it count, so start-up and shut-down stay out.
 */
export function summariseProfile(file, { top = 25, windowUs = null } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const collect = (window) => {
    const self = new Map();
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (window && (at < window[0] || at > window[1])) continue;
      // timeDeltas[i + 1] is the time until the next sample: how long sample i stood.
      const dt = profile.timeDeltas[i + 1] ?? 0;
      const id = profile.samples[i];
      self.set(id, (self.get(id) ?? 0) + dt);
    }
    return self;
  };
  let selfUs = windowUs ? collect(windowUs) : new Map();
  const windowed = selfUs.size > 0;
  if (!windowed) selfUs = collect(null);
  const functions = new Map();
  const areas = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    totalUs += us;
    if (name === '(idle)') idleUs += us;
    const key = `${name} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    const area = areaOf(name, url);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs || 1;
  const rows = (map) =>
    [...map]
      .filter(([k]) => !k.startsWith('(idle)') && k !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 100) / 10,
        percent: Math.round((us / busyUs) * 1000) / 10,
      }));
  return {
    window: windowed ? 'measured load only' : 'whole process (start-up included)',
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    functions: rows(functions).slice(0, top),
    areas: rows(areas),
  };
}
