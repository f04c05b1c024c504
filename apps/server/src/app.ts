import { isUtf8 } from 'node:buffer';
import { createServer, type Server } from 'node:http';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, errorBody } from '@tokenward/core';
import { openStore, type Store } from '@tokenward/store';
import { Ajv } from 'ajv';
import Fastify, {
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type preValidationHookHandler,
} from 'fastify';
import { buildServices, routeServices, type Services } from './compose-services.js';
import type { Config } from './config.js';
import { registerAuth } from './plugins/auth.js';
import { rewriteCompatUrl } from './plugins/compat-paths.js';
import { registerConsole } from './plugins/console.js';
import { dpopRequest } from './plugins/dpop-request.js';
import {
  clientErrorHandler,
  newRequestId,
  publicErrorBody,
  registerErrorHandling,
} from './plugins/errors.js';
import { FastPaths, INTROSPECT_PATH, MAX_INTROSPECT_BODY, VERIFY_PATH } from './plugins/fast-paths.js';
import { AccessLogController, loggerOptions } from './plugins/logging.js';
import { RequestCounts, registerMetrics } from './plugins/metrics.js';
import { registerDocs } from './plugins/openapi.js';
import { registerSecurityHeaders, SECURITY_HEADERS } from './plugins/security-headers.js';
import { validatorCompiler } from './plugins/validation.js';
import { registerRoutes } from './routes/index.js';
import { BASIC_CREDENTIAL, identityToken } from './services/client-authenticator.js';

export type { Services } from './compose-services.js';

export interface BuildOptions {
  config: Readonly<Config>;
  /** An open store to use instead of opening one from the config (it is not closed with the app). */
  store?: Store;
  /** Where log lines go (tests capture them); stdout when absent. */
  logStream?: NodeJS.WritableStream;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  /**
   * Answer cached gateway checks and introspections before the framework
   * (plugins/fast-paths.ts). Default: when request lines are not logged (the framework writes
   * them) and no CORS origins are configured. Tests turn it off to compare the two paths.
   */
  fastPaths?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The composition root's services: for server.ts and tests only, never for routes. */
    tw: Services;
  }
}

export type App = FastifyInstance;

/** Longest request line accepted (Node also caps all headers at 16 KiB). */
const MAX_URL_LENGTH = 8192;

/** Builds the Tokenward HTTP application: config → store → services → plugins → routes. Does not listen. */
export async function buildApp(opts: BuildOptions): Promise<App> {
  const { config } = opts;
  const clock = opts.clock ?? Date.now;
  // Request lines (and the per-request logger they need) only exist at info or more verbose.
  const requestLines = ['trace', 'debug', 'info'].includes(config.logLevel);
  // Set once the services exist; until then every request goes to Fastify.
  const front: { fastPaths?: FastPaths } = {};
  const app = Fastify(fastifyOptions(opts, requestLines, front)).withTypeProvider<TypeBoxTypeProvider>();
  // Every route counts its answers for /metrics, so this comes before any route.
  const requests = new RequestCounts();
  app.addHook('onRoute', requests.onRoute);
  setValidators(app);

  const ownStore = !opts.store;
  const store = opts.store ?? (await openStore(config.store));
  try {
    await store.migrate();
  } catch (err) {
    if (ownStore) await store.close();
    throw err;
  }
  const services = await buildServices({ config, store, clock, log: app.log });
  app.decorate('tw', services);
  // Off where the framework adds to every answer: request lines, CORS headers.
  if (opts.fastPaths ?? (!requestLines && config.corsOrigins.length === 0)) {
    front.fastPaths = fastPathsFor(app, services, requests);
  }
  startBackgroundWork(app, services, ownStore);

  await registerPlugins(app, services, requests);
  await app.register(registerRoutes, routeServices(services));
  await app.register(registerConsole);
  return app;
}

/** Fastify's options: logging, limits and timeouts, URL handling, the fast paths in front. */
function fastifyOptions(
  opts: BuildOptions,
  requestLines: boolean,
  front: { fastPaths?: FastPaths },
): FastifyHttpOptions<Server> {
  const { config } = opts;
  // Node's own limits on headers and URLs: 16 KiB of headers, connection timeouts below. A
  // connection that sends nothing, or stops half-way through a request, is closed after
  // connectionTimeout (Node's own header and request timeouts do not reach those).
  const timeouts = {
    requestTimeout: 30_000,
    connectionTimeout: config.connectionTimeoutSeconds * 1000,
    keepAliveTimeout: 72_000,
  };
  return {
    // Fastify's own server set-up (lib/server.js), with the fast paths in front.
    serverFactory: (handler) => {
      const server = createServer((req, res) => {
        if (front.fastPaths === undefined) handler(req, res);
        else front.fastPaths.handle(req, res, handler);
      });
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      return server;
    },
    logger: opts.logStream
      ? { ...loggerOptions(config.logLevel), stream: opts.logStream }
      : loggerOptions(config.logLevel),
    bodyLimit: config.bodyLimitBytes,
    // proxy-addr takes a hop count too; Fastify's types list only the other forms.
    trustProxy: config.trustProxy as boolean | string[],
    ...timeouts,
    return503OnClosing: true,
    routerOptions: {
      maxParamLength: 200,
      caseSensitive: true,
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
    },
    rewriteUrl: (req) => rewriteCompatUrl(req.url ?? '/'),
    logController: new AccessLogController(requestLines),
    // A per-request child logger (with redaction set up) is only worth building when request
    // lines are written at all.
    childLoggerFactory: requestLines
      ? (logger, bindings, childOptions) => logger.child(bindings, childOptions)
      : (logger) => logger,
    clientErrorHandler,
    // Request ids that stay unique across instances and restarts (Fastify's own count from 1).
    genReqId: newRequestId,
    frameworkErrors(_error, req, reply) {
      (reply as unknown as FastifyReply)
        .code(400)
        // Answered before any hook runs: the headers every other answer gets come with it.
        .headers(SECURITY_HEADERS)
        .send(
          publicErrorBody(errorBody('invalid_request', 'The request URL or headers are malformed.'), req.id),
        );
    },
  };
}

/**
 * JSON bodies are validated strictly (a number is not a name); query strings and path
 * parameters arrive as text, so they are coerced to the declared types.
 */
function setValidators(app: App): void {
  const ajvOptions = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
  const bodyAjv = new Ajv({ ...ajvOptions, coerceTypes: false });
  const textAjv = new Ajv({ ...ajvOptions, coerceTypes: 'array' });
  app.setValidatorCompiler(validatorCompiler(bodyAjv, textAjv));
}

/** Cached gateway checks and introspections, answered before the framework. */
function fastPathsFor(app: App, services: Services, requests: RequestCounts): FastPaths {
  const { verifier, introspection, bearerFailures, config } = services;
  const fast = new FastPaths({
    cachedToken: (credential, accept) => verifier.cachedPrincipal(credential, accept),
    cachedCaller: (credential) => verifier.peekPrincipal(credential),
    recordUse: (principal) => verifier.recordUse(principal),
    cachedIntrospection: (value) => introspection.cachedIntrospection(value),
    countVerify: requests.counter(VERIFY_PATH),
    countIntrospect: requests.counter(INTROSPECT_PATH),
    maxIntrospectBody: Math.min(MAX_INTROSPECT_BODY, config.bodyLimitBytes),
    anyAddressBlocked: () => bearerFailures.anyBlocked(),
  });
  app.addHook('preClose', (done) => {
    fast.close();
    done();
  });
  return fast;
}

/** Usage flushing and cache purges; stopped (and the store closed, if ours) when the app closes. */
function startBackgroundWork(app: App, services: Services, ownStore: boolean): void {
  const { usage, verifier, limiter, store, config } = services;
  usage.start();
  // Memory follows the tokens in recent use, not the cache's size limit.
  const purge = setInterval(
    () => verifier.purgeStale(),
    Math.min(30_000, (config.cacheTtlSeconds * 1000) / 2),
  );
  purge.unref();
  // Attempt counts whose window has passed (one statement; a failure is retried next time).
  const purgeAttempts = setInterval(() => limiter.purge().catch(() => {}), 600_000);
  purgeAttempts.unref();

  app.addHook('onClose', async () => {
    clearInterval(purge);
    clearInterval(purgeAttempts);
    await usage.close();
    if (ownStore) await store.close();
  });
}

/** Ours and external plugins, in order: errors, headers, body parsing, CORS, docs, auth, metrics. */
async function registerPlugins(app: App, services: Services, requests: RequestCounts): Promise<void> {
  const { config, verifier, bearerFailures, sessions, dpop } = services;
  registerErrorHandling(app, (method, status) => requests.unmatched(method, status));
  registerSecurityHeaders(app);
  // JSON bodies must be valid UTF-8 (RFC 8259 §8.1): invalid bytes are a 400, not U+FFFD.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (!isUtf8(body as Buffer)) {
      done(new AppError('invalid_json', 'The request body is not valid UTF-8.'), undefined);
      return;
    }
    parseJson(request, (body as Buffer).toString('utf8'), done);
  });
  app.addHook('onRoute', (route) => {
    // The interactive docs and CORS preflights are public.
    if (route.url.startsWith('/docs') || route.method === 'OPTIONS')
      route.config = { ...(route.config ?? {}), auth: 'none' };
    // A POST without a body (PowerShell's `Invoke-RestMethod -Method Post`, curl -X POST) is an
    // empty object. Only routes that take a body pay for this hook.
    if (route.schema?.body) {
      const existing = route.preValidation;
      const emptyBody: preValidationHookHandler = (request, _reply, done) => {
        if (request.body === undefined) request.body = {};
        done();
      };
      route.preValidation =
        existing === undefined
          ? [emptyBody]
          : [emptyBody, ...(Array.isArray(existing) ? existing : [existing])];
    }
  });
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.url.length > MAX_URL_LENGTH ? new AppError('uri_too_long') : undefined);
  });
  // CORS is closed unless origins are configured: browsers on other sites cannot call the API.
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: [
        'authorization',
        'content-type',
        'x-csrf-token',
        'x-tokenward-authorization',
        'authtoken',
        'dpop',
      ],
      // RFC 9449 §8: a browser client must be able to read the nonce (and the challenge).
      exposedHeaders: ['dpop-nonce', 'www-authenticate'],
      maxAge: 600,
    });
  }
  // Cookies are parsed only when a request carries any and a route asks (see plugins/auth.ts).
  await app.register(cookie, { hook: false });
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await registerDocs(app, { publicUrl: config.publicUrl });

  registerAuth(app, {
    anyAddressBlocked: () => bearerFailures.anyBlocked(),
    checkAddress: (address) => bearerFailures.check(address),
    credentialFailed: (address) =>
      bearerFailures.failed(address).catch((err: unknown) => {
        // Counting must not turn a 401 into a 5xx (the store may be down): the request is refused anyway.
        app.log.warn({ err }, 'could not count a failed credential');
      }),
    cachedToken: (credential) => verifier.cachedPrincipal(credential),
    authenticateHeader: (credential, spend) =>
      verifier.authenticateToken(credential, spend === false ? { spend: false } : {}),
    authenticateBasic: (username, token) => identityToken(verifier, username, token, BASIC_CREDENTIAL),
    authenticateSession: (secret) => verifier.authenticateSession(secret),
    dpopProof: (request, token) => dpop.proofFor(dpopRequest(request, token), 'resource'),
    csrfMatches: (principal, presented) => sessions.csrfMatches(principal, presented),
  });
  await registerMetrics(app, requests, () => verifier.sizes());
}
