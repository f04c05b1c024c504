import { statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { errorBody } from '@tokenward/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicErrorBody } from './errors.js';

/** apps/console/dist, from apps/server/{src,dist}/plugins/. */
export const CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../console/dist');

/** Paths that belong to the API and operations: never answered with the console's index.html. */
const RESERVED_PREFIXES = ['/api', '/docs', '/healthz', '/readyz', '/metrics', '/.well-known'];

/**
 * Headers of every console response. The console loads nothing but its own files and talks
 * only to its own origin, so the policy allows 'self' and nothing else: no inline script or
 * style, no framing (clickjacking), no referrer leaking console paths.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
});

export interface ConsoleOptions {
  /** Folder of the built console; apps/console/dist when absent. */
  root?: string;
}

function reserved(path: string): boolean {
  const lower = path.toLowerCase();
  return RESERVED_PREFIXES.some((p) => lower === p || lower.startsWith(`${p}/`));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the admin console (apps/console's built files) at `/`, with a fallback to index.html
 * for the console's own paths (/tokens, /identities, …) so reloads and bookmarks work. API and
 * operations paths keep their JSON 404. Runs in its own encapsulated context, so the security
 * headers and caching rules here apply to console responses only.
 */
export async function registerConsole(app: FastifyInstance, opts: ConsoleOptions = {}): Promise<void> {
  const root = resolve(opts.root ?? CONSOLE_DIST);
  const built = isFile(resolve(root, 'index.html'));

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(CONSOLE_SECURITY_HEADERS);
    return payload;
  });

  const routeOptions = { config: { auth: 'none' as const }, schema: { hide: true } };

  if (!built) {
    app.log.warn(
      { root },
      'the admin console is not built, so / answers 503: run `npm run build` (or `npm start`, which builds first)',
    );
    const notBuilt = async (request: FastifyRequest, reply: FastifyReply) => {
      if (reserved(request.url.split('?')[0] ?? '/')) {
        return reply.code(404).send(publicErrorBody(errorBody('route_not_found'), request.id));
      }
      return reply.code(503).header('cache-control', 'no-store').send({
        status: 'console_not_built',
        message:
          'The admin console has not been built. Run `npm run build` in the Tokenward folder (`npm start` does it too), then restart. The API is available under /api/v1 and documented at /docs.',
      });
    };
    app.get('/', routeOptions, notBuilt);
    app.get('/*', routeOptions, notBuilt);
    return;
  }

  await app.register(fastifyStatic, { root, serve: false });

  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });

  app.get('/', routeOptions, async (_request, reply) => sendIndex(reply));

  app.get('/*', routeOptions, async (request, reply) => {
    const path = `/${(request.params as { '*': string })['*'] ?? ''}`;
    if (reserved(path))
      return reply.code(404).send(publicErrorBody(errorBody('route_not_found'), request.id));
    const rel = path.slice(1);
    const full = resolve(root, rel);
    const inside = relative(root, full);
    const safe = rel.length > 0 && !rel.includes('\0') && !inside.startsWith('..') && !isAbsolute(inside);
    if (safe && isFile(full)) {
      // Vite names built assets by content hash: they never change, so they may be kept forever.
      const immutable = inside.startsWith(`assets${sep}`);
      return reply
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .sendFile(inside.split(sep).join('/'), { cacheControl: false });
    }
    // A missing hashed asset (an old page after an upgrade) must not get index.html as a script.
    if (rel.startsWith('assets/') || rel === 'favicon.ico') {
      return reply.code(404).send(publicErrorBody(errorBody('route_not_found'), request.id));
    }
    return sendIndex(reply);
  });
}
