import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * Prometheus metrics at GET /metrics: request counts by route and status class, and cache
 * sizes. Labels are route patterns (never URLs with ids or query strings) and never carry a
 * token, a name or an address.
 */
export async function registerMetrics(
  app: FastifyInstance,
  cacheSizes: () => Record<string, number>,
): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tokenward_' });
  // Counted in a plain map on the request path and handed to prom-client only when scraped:
  // a labelled Counter.inc() on every request costs more than the rest of a cached verify.
  const counts = new Map<string, { route: string; method: string; status: string; n: number }>();
  new Counter({
    name: 'tokenward_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status class.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of counts.values()) this.inc({ route: c.route, method: c.method, status: c.status }, c.n);
    },
  });
  new Gauge({
    name: 'tokenward_cache_entries',
    help: 'Entries in the verify caches.',
    labelNames: ['cache'] as const,
    registers: [registry],
    collect() {
      for (const [cache, n] of Object.entries(cacheSizes())) this.set({ cache }, n);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode < 300 ? '2xx' : `${Math.floor(reply.statusCode / 100)}xx`;
    const key = `${request.method} ${status} ${route}`;
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { route, method: request.method, status, n: 1 });
  });

  app.get(
    '/metrics',
    {
      config: { auth: 'none' },
      schema: { tags: ['operations'], summary: 'Prometheus metrics (no secrets, no identities).' },
    },
    async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}
