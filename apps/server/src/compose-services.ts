import { OAUTH_PATHS } from '@tokenward/core';
import type { Store } from '@tokenward/store';
import type { FastifyBaseLogger } from 'fastify';
import { bootstrapAdmin, type FirstStart } from './bootstrap.js';
import type { Config } from './config.js';
import type { RouteServices } from './routes/index.js';
import { AccessIssuer } from './services/access-issuer.js';
import { AccessTokenV4Service } from './services/access-token-v4.service.js';
import { AttemptLimiter, BearerFailureLimiter } from './services/attempt-limiter.js';
import { AuditService } from './services/audit.service.js';
import { ClientAuthenticator } from './services/client-authenticator.js';
import { ClientCredentialsService } from './services/client-credentials.service.js';
import { ClientKeyService } from './services/client-key.service.js';
import { DiscoveryService } from './services/discovery.service.js';
import { DpopProofs } from './services/dpop.js';
import { GrantAppToken } from './services/grant-app-token.js';
import { IdentityService } from './services/identity.service.js';
import { ImportAppToken } from './services/import-app-token.js';
import { IntrospectionService } from './services/introspection.service.js';
import { Invalidator } from './services/invalidator.js';
import { KeyRing } from './services/key-ring.js';
import { deriveKey, resolveMasterKey, Sealer } from './services/master-key.js';
import { PersonalTokenService } from './services/personal-token.service.js';
import { Readiness } from './services/readiness.js';
import { RefreshService } from './services/refresh.service.js';
import { RevocationService } from './services/revocation.service.js';
import { RoleService } from './services/role.service.js';
import { RoleCatalog } from './services/role-catalog.js';
import { SessionService } from './services/session.service.js';
import { SigningKeyService } from './services/signing-key.service.js';
import { TokenService } from './services/token.service.js';
import { TokenExchangeService } from './services/token-exchange.service.js';
import { TokenMinter } from './services/token-minter.js';
import { TokenRevoker } from './services/token-revoker.js';
import { TokenTransferService } from './services/token-transfer.service.js';
import { TokenViews } from './services/token-view.js';
import { UsageTracker } from './services/usage-tracker.js';
import { Verifier } from './services/verifier.js';

/** Longest /readyz waits for the store. */
const READY_TIMEOUT_MS = 2000;

/**
 * Everything the composition root built. Routes never see this: they get RouteServices
 * (routeServices below). It is decorated on the app as `app.tw` for server.ts (first-start
 * banner) and for tests that look inside (store, caches, keys); nothing under routes/ reads it.
 */
export interface Services extends RouteServices {
  config: Readonly<Config>;
  store: Store;
  clock: () => number;
  roles: RoleCatalog;
  verifier: Verifier;
  invalidator: Invalidator;
  usage: UsageTracker;
  keys: KeyRing;
  limiter: AttemptLimiter;
  bearerFailures: BearerFailureLimiter;
  firstStart: FirstStart;
}

export interface ServiceDeps {
  config: Readonly<Config>;
  store: Store;
  clock: () => number;
  log: FastifyBaseLogger;
}

/** Builds every service over an open, migrated store: the one place that knows them all. */
export async function buildServices({ config, store, clock, log }: ServiceDeps): Promise<Services> {
  const firstStart = await bootstrapAdmin(store, config.adminPassword, clock());

  const roles = new RoleCatalog(store);
  await roles.reload();
  const masterKey = resolveMasterKey(config.masterKey, config.dataDir, log);
  const keys = new KeyRing({
    store,
    sealer: new Sealer(masterKey, 'signing-keys'),
    clock,
    issuer: config.issuer,
    legacyIssuers: config.legacyIssuers,
    audience: config.audience,
    publicationDelayMs: config.keyPublicationDelaySeconds * 1000,
    audiences: [config.audience, ...(config.audiences ?? []).filter((a) => a !== config.audience)],
    maxAccessTtlMs: Math.max(config.accessTokenTtlSeconds, config.delegationTtlSeconds) * 1000,
  });
  await keys.init();
  const usage = new UsageTracker(store, log, config.usageFlushSeconds * 1000);
  const verifier = new Verifier({
    store,
    roles,
    usage,
    keys,
    clock,
    tokenPrefix: config.tokenPrefix,
    cacheSize: config.cacheSize,
    cacheTtlMs: config.cacheTtlSeconds * 1000,
    sessionIdleMs: config.sessionIdleSeconds * 1000,
    outageGraceMs: config.outageGraceSeconds * 1000,
  });
  const invalidator = new Invalidator({
    store,
    verifier,
    onRoles: () => roles.reload(),
    onKeys: () => keys.reload(),
  });
  await store.subscribe((message) => void invalidator.receive(message));
  const audit = new AuditService(store, clock, log);
  const limiter = new AttemptLimiter({
    store,
    maxAttempts: config.signinMaxAttempts,
    windowMs: config.signinWindowSeconds * 1000,
    clock,
  });
  const bearerFailures = new BearerFailureLimiter({
    store,
    maxFailures: config.authFailureMax,
    windowMs: config.authFailureWindowSeconds * 1000,
    clock,
  });
  const appPolicy = {
    defaultTtlSeconds: config.appTokenTtlSeconds,
    maxTtlSeconds: config.appTokenMaxTtlSeconds,
  };
  const personalPolicy = {
    defaultTtlSeconds: config.personalTokenTtlSeconds,
    maxTtlSeconds: config.personalTokenMaxTtlSeconds,
  };
  const minter = new TokenMinter({ store, audit, roles, clock, prefix: config.tokenPrefix, appPolicy });
  const views = new TokenViews({ roles, usage, clock });
  const revoker = new TokenRevoker({ store, audit, invalidator, clock });
  const tokens = new TokenService({ store, views, revoker, audit, clock });
  const accessTtlMs = config.accessTokenTtlSeconds * 1000;
  const issuer = new AccessIssuer({ store, keys, roles, clock, prefix: config.tokenPrefix });
  const dpop = new DpopProofs({
    store,
    clock,
    windowSeconds: config.dpopWindowSeconds,
    nonceKey: config.dpopNonce ? deriveKey(masterKey, 'dpop-nonce') : null,
    nonceSeconds: config.dpopNonceSeconds,
    publicUrl: config.publicUrl,
  });
  return {
    config,
    store,
    clock,
    audit,
    roles,
    verifier,
    invalidator,
    usage,
    keys,
    limiter,
    bearerFailures,
    dpop,
    tokens,
    grant: new GrantAppToken({ minter, views }),
    importer: new ImportAppToken({
      store,
      minter,
      views,
      audit,
      invalidator,
      clock,
      prefix: config.tokenPrefix,
    }),
    transfer: new TokenTransferService({
      store,
      minter,
      audit,
      invalidator,
      clock,
      policies: { app: appPolicy, personal: personalPolicy },
    }),
    personalTokens: new PersonalTokenService({
      store,
      minter,
      views,
      revoker,
      verifier,
      issuer,
      audit,
      limiter,
      clock,
      policy: personalPolicy,
      accessTtlMs,
    }),
    accessTokens: new AccessTokenV4Service({
      store,
      minter,
      views,
      revoker,
      issuer,
      audit,
      clock,
      lifetimes: {
        accessTtlMs,
        refreshDefaultMs: config.refreshTokenTtlSeconds * 1000,
        refreshMaxMs: config.refreshTokenMaxTtlSeconds * 1000,
      },
    }),
    refresh: new RefreshService({ store, minter, revoker, verifier, issuer, audit, clock, accessTtlMs }),
    introspection: new IntrospectionService({ verifier, keys, clock }),
    revocation: new RevocationService({ store, revoker, verifier }),
    exchange: new TokenExchangeService({
      minter,
      verifier,
      issuer,
      roles,
      audit,
      clock,
      delegationTtlMs: config.delegationTtlSeconds * 1000,
    }),
    clientCredentials: new ClientCredentialsService({ minter, issuer, roles, audit, clock, accessTtlMs }),
    clients: new ClientAuthenticator({
      store,
      verifier,
      failures: bearerFailures,
      clock,
      audiences: clientAssertionAudiences(config),
    }),
    clientKeys: new ClientKeyService({ store, minter, audit, clock }),
    identities: new IdentityService({ store, roles, audit, invalidator, clock }),
    roleAdmin: new RoleService({ store, catalog: roles, audit, invalidator, clock }),
    sessions: new SessionService({
      store,
      audit,
      invalidator,
      limiter,
      clock,
      maxAgeMs: config.sessionMaxSeconds * 1000,
    }),
    signingKeys: new SigningKeyService({ keys, invalidator, audit }),
    discovery: new DiscoveryService({ publicUrl: config.publicUrl, issuer: config.issuer, roles }),
    readiness: new Readiness({ store, timeoutMs: READY_TIMEOUT_MS }),
    cookies: { secure: config.cookieSecure, maxAgeSeconds: config.sessionMaxSeconds },
    limits: { appToken: appPolicy, personal: personalPolicy },
    firstStart,
  };
}

/**
 * RFC 7523 §3: a client assertion's `aud` identifies the authorization server: its issuer (the
 * public URL, and the configured `iss` of tokens) or the URL of the endpoint it is sent to.
 */
function clientAssertionAudiences(config: Readonly<Config>): string[] {
  const base = config.publicUrl;
  return [
    ...new Set([
      base,
      `${base}/`,
      config.issuer,
      `${base}${OAUTH_PATHS.token}`,
      `${base}${OAUTH_PATHS.introspection}`,
      `${base}${OAUTH_PATHS.revocation}`,
    ]),
  ];
}

/** The part of the services the routes get: no store, no verifier, no config. */
export function routeServices(s: Services): RouteServices {
  return {
    readiness: s.readiness,
    sessions: s.sessions,
    tokens: s.tokens,
    grant: s.grant,
    importer: s.importer,
    transfer: s.transfer,
    identities: s.identities,
    roleAdmin: s.roleAdmin,
    audit: s.audit,
    personalTokens: s.personalTokens,
    introspection: s.introspection,
    revocation: s.revocation,
    refresh: s.refresh,
    exchange: s.exchange,
    clientCredentials: s.clientCredentials,
    clients: s.clients,
    clientKeys: s.clientKeys,
    dpop: s.dpop,
    accessTokens: s.accessTokens,
    signingKeys: s.signingKeys,
    discovery: s.discovery,
    cookies: s.cookies,
    limits: s.limits,
  };
}
