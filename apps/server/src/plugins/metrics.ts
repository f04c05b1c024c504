import type { FastifyInstance, onResponseHookHandler, RouteOptions } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Answers of one route (or of unmatched paths) by method, counted by status class (index 1–5). */
interface RouteCounts {
  route: string;
  byMethod: Map<string, number[]>;
}

/**
 * Request counts by route pattern, method and status class, kept in plain arrays on the request
 * path and handed to prom-client only when scraped: a labelled Counter.inc() on every request
 * costs more than the rest of a cached verify. Each route gets its own counting hook (built once,
 * with its pattern), so a request does no look-up at all.
 */
export class RequestCounts {
  private readonly all: RouteCounts[] = [];
  private readonly unmatchedCounts = this.track('unmatched');

  /** An `onRoute` hook: must be added before the routes it should count. */
  readonly onRoute = (route: RouteOptions): void => {
    const counts = this.track(route.url);
    const hook: onResponseHookHandler = (request, reply, done) => {
      count(counts, request.method, reply.statusCode);
      done();
    };
    const existing = route.onResponse;
    route.onResponse =
      existing === undefined ? [hook] : [hook, ...(Array.isArray(existing) ? existing : [existing])];
  };

  /**
   * Counts answers given outside Fastify (plugins/fast-paths.ts) under a route's label. The route
   * is looked up on the first answer, when every route is registered.
   */
  counter(route: string): (method: string, statusCode: number) => void {
    let counts: RouteCounts | undefined;
    return (method, statusCode) => {
      counts ??= this.all.find((c) => c.route === route) ?? this.track(route);
      count(counts, method, statusCode);
    };
  }

  /** Counts an answer to a path no route matched. */
  unmatched(method: string, statusCode: number): void {
    count(this.unmatchedCounts, method, statusCode);
  }

  *entries(): Generator<{ route: string; method: string; status: string; n: number }> {
    for (const { route, byMethod } of this.all) {
      for (const [method, classes] of byMethod) {
        for (let c = 1; c < classes.length; c++) {
          if (classes[c]! > 0) yield { route, method, status: `${c}xx`, n: classes[c]! };
        }
      }
    }
  }

  private track(route: string): RouteCounts {
    const counts = { route, byMethod: new Map<string, number[]>() };
    this.all.push(counts);
    return counts;
  }
}

function count(counts: RouteCounts, method: string, statusCode: number): void {
  let classes = counts.byMethod.get(method);
  if (classes === undefined) {
    classes = [0, 0, 0, 0, 0, 0];
    counts.byMethod.set(method, classes);
  }
  const c = Math.floor(statusCode / 100);
  classes[c >= 1 && c <= 5 ? c : 5]!++;
}

/**
 * Prometheus metrics at GET /metrics: request counts by route and status class, and cache
 * sizes. Labels are route patterns (never URLs with ids or query strings) and never carry a
 * token, a name or an address.
 */
export async function registerMetrics(
  app: FastifyInstance,
  requests: RequestCounts,
  cacheSizes: () => Record<string, number>,
): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tokenward_' });
  new Counter({
    name: 'tokenward_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status class.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of requests.entries())
        this.inc({ route: c.route, method: c.method, status: c.status }, c.n);
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

  app.get(
    '/metrics',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (no secrets, no identities).',
        response: {
          200: {
            description: 'The Prometheus text exposition format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}
