import { resolve } from 'node:path';
import { PREFIX_PATTERN } from '@tokenward/core';
import type { StoreConfig } from '@tokenward/store';
import { DEFAULT_KEY_PUBLICATION_DELAY_SECONDS } from './services/key-ring.js';
import { parseMasterKey } from './services/master-key.js';

/** The validated configuration, built once at start and frozen. */
export interface Config {
  port: number;
  host: string;
  /** Folder of the SQLite file and generated secrets. */
  dataDir: string;
  store: StoreConfig;
  /** First-start password of `admin`; generated when absent. */
  adminPassword: string | undefined;
  /** 32-byte master key as given (hex or base64); generated into the data folder when absent. */
  masterKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  tokenPrefix: string;
  appTokenTtlSeconds: number;
  appTokenMaxTtlSeconds: number;
  personalTokenTtlSeconds: number;
  personalTokenMaxTtlSeconds: number;
  /**
   * Where clients reach this server (TOKENWARD_PUBLIC_URL, default `http://localhost:<PORT>`),
   * without a trailing slash: the base of the URLs in the discovery documents.
   */
  publicUrl: string;
  /** `iss` of access tokens and of the discovery documents (TOKENWARD_ISSUER, default publicUrl). */
  issuer: string;
  /**
   * Earlier issuers whose unexpired access tokens still verify (TOKENWARD_LEGACY_ISSUERS,
   * comma-separated; default `tokenward`, the issuer before it became a URL). Never signed with.
   */
  legacyIssuers: string[];
  /** Between publishing a rotated signing key and signing with it (default JWKS max-age + 60 s). */
  keyPublicationDelaySeconds: number;
  /** `aud` of access tokens that name no audience (TOKENWARD_AUDIENCE). */
  audience: string;
  /**
   * Every audience a token may be issued for (`audience`/`resource` of the token endpoint):
   * `audience` first, then TOKENWARD_AUDIENCES (comma-separated strings or URLs).
   */
  audiences: string[];
  accessTokenTtlSeconds: number;
  /** Lifetime of tokens obtained by token exchange (delegation). */
  delegationTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshTokenMaxTtlSeconds: number;
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
  /** Mark cookies `Secure`; also on automatically for requests that arrived over HTTPS. */
  cookieSecure: boolean;
  /** Entries in each verify cache (tokens, identities, sessions). */
  cacheSize: number;
  /** Longest time a cached verification is trusted before it is read again. */
  cacheTtlSeconds: number;
  /** How long cached verifications are still trusted once the store's invalidation channel is lost. */
  outageGraceSeconds: number;
  /** Origins allowed to call the API from a browser (CORS); empty: none. */
  corsOrigins: string[];
  /** How often batched `lastUsed` updates are written. */
  usageFlushSeconds: number;
  bodyLimitBytes: number;
  /** A connection with no traffic for this long is closed (an idle or half-sent request). */
  connectionTimeoutSeconds: number;
  /** Fastify `trustProxy`: false, true, a hop count or a list of addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  /** Sign-in attempts allowed per username and per client address within the window. */
  signinMaxAttempts: number;
  signinWindowSeconds: number;
  /** Failed bearer credentials per client address before its requests are refused (429). */
  authFailureMax: number;
  /** Window of those failures, in seconds. */
  authFailureWindowSeconds: number;
  /** How far a DPoP proof's `iat` may be from now, either way (RFC 9449 §11.1). */
  dpopWindowSeconds: number;
  /** Whether DPoP proofs must carry a server-provided nonce (RFC 9449 §8, §9). */
  dpopNonce: boolean;
  /** How long a DPoP nonce is good for: its time slot and the next. */
  dpopNonceSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}".`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}.`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}".`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DAY = 86400;

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const dataDir = resolve(env.TOKENWARD_DATA_DIR?.trim() || './data');
  const databaseUrl = env.DATABASE_URL?.trim();
  // PostgreSQL: a statement or a lock wait longer than these ends in 503 instead of a request
  // that hangs (validated whatever the store, so a typo is never silently ignored).
  const statementTimeoutMs = integer(env, 'TOKENWARD_STATEMENT_TIMEOUT_MS', 5000, 100, 600_000);
  const lockTimeoutMs = integer(env, 'TOKENWARD_LOCK_TIMEOUT_MS', 2000, 100, 600_000);
  let store: StoreConfig;
  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL.');
    }
    const schema = env.TOKENWARD_DATABASE_SCHEMA?.trim();
    if (schema !== undefined && schema !== '' && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new ConfigError('TOKENWARD_DATABASE_SCHEMA must be a lowercase SQL identifier.');
    }
    store = {
      dialect: 'postgres',
      url: databaseUrl,
      ...(schema ? { schema } : {}),
      statementTimeoutMs,
      lockTimeoutMs,
    };
  } else {
    store = { dialect: 'sqlite', file: resolve(dataDir, 'tokenward.db') };
  }

  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}".`);
  }

  const tokenPrefix = env.TOKENWARD_TOKEN_PREFIX?.trim() || 'tw_';
  if (!PREFIX_PATTERN.test(tokenPrefix)) {
    throw new ConfigError(
      `TOKENWARD_TOKEN_PREFIX must be lowercase letters/digits ending in "_" (e.g. "acme_"), got "${tokenPrefix}".`,
    );
  }

  const masterKey = env.TOKENWARD_MASTER_KEY?.trim() || undefined;
  if (masterKey !== undefined && parseMasterKey(masterKey) === null) {
    throw new ConfigError('TOKENWARD_MASTER_KEY must be 32 bytes written as 64 hex characters or as base64.');
  }

  const adminPassword = env.TOKENWARD_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && (adminPassword.length < 8 || adminPassword.length > 1024)) {
    throw new ConfigError('TOKENWARD_ADMIN_PASSWORD must be 8 to 1024 characters long.');
  }

  const appTokenTtlDays = integer(env, 'TOKENWARD_APP_TOKEN_TTL_DAYS', 365, 1, 3650);
  const appTokenMaxTtlDays = integer(env, 'TOKENWARD_APP_TOKEN_MAX_TTL_DAYS', 730, 1, 3650);
  if (appTokenTtlDays > appTokenMaxTtlDays) {
    throw new ConfigError('TOKENWARD_APP_TOKEN_TTL_DAYS cannot exceed TOKENWARD_APP_TOKEN_MAX_TTL_DAYS.');
  }

  const patTtlDays = integer(env, 'TOKENWARD_PERSONAL_TOKEN_TTL_DAYS', 90, 1, 3650);
  const patMaxTtlDays = integer(env, 'TOKENWARD_PERSONAL_TOKEN_MAX_TTL_DAYS', 365, 1, 3650);
  if (patTtlDays > patMaxTtlDays) {
    throw new ConfigError(
      'TOKENWARD_PERSONAL_TOKEN_TTL_DAYS cannot exceed TOKENWARD_PERSONAL_TOKEN_MAX_TTL_DAYS.',
    );
  }

  const refreshDays = integer(env, 'TOKENWARD_REFRESH_TOKEN_TTL_DAYS', 90, 1, 3650);
  const refreshMaxDays = integer(env, 'TOKENWARD_REFRESH_TOKEN_MAX_TTL_DAYS', 365, 1, 3650);
  if (refreshDays > refreshMaxDays) {
    throw new ConfigError(
      'TOKENWARD_REFRESH_TOKEN_TTL_DAYS cannot exceed TOKENWARD_REFRESH_TOKEN_MAX_TTL_DAYS.',
    );
  }
  const port = integer(env, 'PORT', 5000, 0, 65535);
  const publicUrl = parsePublicUrl(env.TOKENWARD_PUBLIC_URL, port);
  // The issuer is a URL (RFC 8414 §2): by default where clients reach this server.
  const issuer = env.TOKENWARD_ISSUER?.trim() || publicUrl;
  const legacyIssuers = parseLegacyIssuers(env.TOKENWARD_LEGACY_ISSUERS).filter((i) => i !== issuer);
  const audience = env.TOKENWARD_AUDIENCE?.trim() || 'tokenward';
  const audiences = parseAudiences(env.TOKENWARD_AUDIENCES, audience);

  const config: Config = {
    port,
    publicUrl,
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir,
    store,
    adminPassword,
    masterKey,
    logLevel,
    tokenPrefix,
    appTokenTtlSeconds: appTokenTtlDays * DAY,
    appTokenMaxTtlSeconds: appTokenMaxTtlDays * DAY,
    personalTokenTtlSeconds: patTtlDays * DAY,
    personalTokenMaxTtlSeconds: patMaxTtlDays * DAY,
    issuer,
    legacyIssuers,
    keyPublicationDelaySeconds: integer(
      env,
      'TOKENWARD_KEY_PUBLICATION_DELAY_SECONDS',
      DEFAULT_KEY_PUBLICATION_DELAY_SECONDS,
      0,
      7 * DAY,
    ),
    audience,
    audiences,
    accessTokenTtlSeconds: integer(env, 'TOKENWARD_ACCESS_TOKEN_TTL_MINUTES', 30, 1, 24 * 60) * 60,
    delegationTtlSeconds: integer(env, 'TOKENWARD_DELEGATION_TTL_MINUTES', 15, 1, 24 * 60) * 60,
    refreshTokenTtlSeconds: refreshDays * DAY,
    refreshTokenMaxTtlSeconds: refreshMaxDays * DAY,
    sessionIdleSeconds: integer(env, 'TOKENWARD_SESSION_IDLE_MINUTES', 60, 1, 7 * 24 * 60) * 60,
    sessionMaxSeconds: integer(env, 'TOKENWARD_SESSION_MAX_HOURS', 12, 1, 30 * 24) * 3600,
    cookieSecure: boolean(env, 'TOKENWARD_COOKIE_SECURE', false),
    cacheSize: integer(env, 'TOKENWARD_CACHE_SIZE', 100_000, 100, 10_000_000),
    cacheTtlSeconds: integer(env, 'TOKENWARD_CACHE_TTL_SECONDS', 60, 1, 3600),
    usageFlushSeconds: integer(env, 'TOKENWARD_USAGE_FLUSH_SECONDS', 10, 1, 3600),
    outageGraceSeconds: integer(env, 'TOKENWARD_OUTAGE_GRACE_SECONDS', 0, 0, 3600),
    corsOrigins: parseOrigins(env.TOKENWARD_CORS_ORIGINS),
    bodyLimitBytes: integer(env, 'TOKENWARD_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    connectionTimeoutSeconds: integer(env, 'TOKENWARD_CONNECTION_TIMEOUT_SECONDS', 60, 1, 3600),
    trustProxy: parseTrustProxy(env.TOKENWARD_TRUST_PROXY),
    signinMaxAttempts: integer(env, 'TOKENWARD_SIGNIN_MAX_ATTEMPTS', 10, 1, 10_000),
    signinWindowSeconds: integer(env, 'TOKENWARD_SIGNIN_WINDOW_SECONDS', 900, 1, 86_400),
    authFailureMax: integer(env, 'TOKENWARD_AUTH_FAILURE_MAX', 20, 1, 1_000_000),
    authFailureWindowSeconds: integer(env, 'TOKENWARD_AUTH_FAILURE_WINDOW_SECONDS', 60, 1, 86_400),
    dpopWindowSeconds: integer(env, 'TOKENWARD_DPOP_WINDOW_SECONDS', 60, 5, 600),
    dpopNonce: boolean(env, 'TOKENWARD_DPOP_NONCE', false),
    dpopNonceSeconds: integer(env, 'TOKENWARD_DPOP_NONCE_SECONDS', 300, 10, 3600),
  };
  return Object.freeze(config);
}

function parseOrigins(raw: string | undefined): string[] {
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of list) {
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o)) {
      throw new ConfigError(
        `TOKENWARD_CORS_ORIGINS must list origins like https://app.example.com, got "${o}".`,
      );
    }
  }
  return list;
}

/** TOKENWARD_AUDIENCES: the default audience first, then each listed one once. */
function parseAudiences(raw: string | undefined, audience: string): string[] {
  const list = [audience];
  for (const item of (raw ?? '').split(',')) {
    const a = item.trim();
    if (!a) continue;
    if (a.length > 256 || !/^[\x21-\x7e]+$/.test(a)) {
      throw new ConfigError(
        `TOKENWARD_AUDIENCES must list audiences (strings or URLs, no spaces) separated by commas, got "${a.slice(0, 64)}".`,
      );
    }
    if (!list.includes(a)) list.push(a);
  }
  return list;
}

function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  const v = raw?.trim();
  if (!v || ['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(v.toLowerCase())) return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * TOKENWARD_LEGACY_ISSUERS: unset means `tokenward` (the default issuer before it became a
 * URL); set, it is the whole list (empty: accept no earlier issuer).
 */
function parseLegacyIssuers(raw: string | undefined): string[] {
  if (raw === undefined) return ['tokenward'];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of list) {
    if (i.length > 512 || !/^[\x21-\x7e]+$/.test(i)) {
      throw new ConfigError(
        `TOKENWARD_LEGACY_ISSUERS must list printable ASCII issuers without spaces, got "${i}".`,
      );
    }
  }
  return list;
}

/** TOKENWARD_PUBLIC_URL: an absolute http(s) URL with no query or fragment; the trailing slash dropped. */
function parsePublicUrl(raw: string | undefined, port: number): string {
  const text = raw?.trim();
  if (!text) return `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      `TOKENWARD_PUBLIC_URL must be an absolute URL like https://tokens.example.com, got "${text}".`,
    );
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new ConfigError(
      `TOKENWARD_PUBLIC_URL must be an http(s) URL without query, fragment or credentials, got "${text}".`,
    );
  }
  return url.href.replace(/\/+$/, '');
}
