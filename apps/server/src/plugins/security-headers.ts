import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/**
 * Headers of every answer, set before anything else runs (so errors, 404s and early refusals
 * carry them too):
 * - `X-Content-Type-Options: nosniff`: a browser never runs an answer as something other than
 *   its declared type (a JSON body holding markup is not a page).
 * - `Cache-Control: no-store`: tokens, sessions and the rest of the API's answers are never kept
 *   by a browser or a shared cache. A route that may be cached sets its own, which replaces
 *   this one (JWKS: `public, max-age=60`; the console's files).
 * The fast paths (plugins/fast-paths.ts) write the same two headers themselves.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', securityHeaders);
}

/** The same two headers, for answers written outside the routes (Fastify's frameworkErrors). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
});

function securityHeaders(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('cache-control', 'no-store');
  done();
}

/**
 * Content-Security-Policy of the interactive docs (/docs, @fastify/swagger-ui): Swagger UI's own
 * scripts and styles only, no framing (clickjacking), nothing loaded from elsewhere (checked in
 * Chromium: the page renders every operation with no violation). Its own
 * default (`staticCSP: true`) allows framing by the same origin, any https: style or font, and
 * upgrade-insecure-requests, which breaks /docs on a plain-HTTP address.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  // The hash: the <style> inside Swagger UI's logo (swagger-ui 5, @fastify/swagger-ui 6). Should
  // a newer version change it, only the logo loses its colours.
  "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
].join('; ');

/** @fastify/swagger-ui options for /docs: its CSP on every docs answer, and no framing. */
export const DOCS_SECURITY_OPTIONS = {
  staticCSP: DOCS_CSP,
  uiHooks: {
    onRequest(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      reply.header('x-frame-options', 'DENY');
      done();
    },
  },
};
