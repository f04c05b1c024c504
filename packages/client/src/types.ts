/*
 * Request and response shapes of the Tokenward management API (`/api/v1`), as documented by
 * its OpenAPI document (`GET /api/openapi.json`). Dates are ISO 8601 strings.
 */

/**
 * A page of a list.
 *
 * @example
 * ```ts
 * const page: Page<Token> = await tw.appTokens.list();
 * ```
 */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * Pagination (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.list({ limit: 100, offset: 200 });
 * ```
 */
export interface Pagination {
  limit?: number;
  offset?: number;
}

/**
 * TokenStatus (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.list({ status: 'Active' satisfies TokenStatus });
 * ```
 */
export type TokenStatus = 'Active' | 'Revoked' | 'Expired';

/**
 * A token's metadata. `token` (the value) is present only in the response that creates it.
 *
 * @example
 * ```ts
 * const token: Token = await tw.appTokens.get(12);
 * ```
 */
export interface Token {
  id: number;
  token?: string;
  kind: string;
  identity: { id: number; name: string; source: string; role: string };
  identityId: number;
  revoked: boolean;
  /** Roles, comma-separated (seed 001's field). */
  role: string;
  roles: string[];
  created: string;
  expiration: string;
  revokedDate: string | null;
  name: string;
  description: string;
  status: TokenStatus;
  /** Last four characters of the value. */
  hint: string;
  lastUsed: string | null;
  useCount: number;
  scope: string;
  apiEndpoints: string[] | null;
  imported: boolean;
}

/**
 * A token whose value was just created.
 *
 * @example
 * ```ts
 * const { token } = await tw.appTokens.grant();
 * ```
 */
export type NewToken = Token & { token: string };

/**
 * A date: ISO 8601, `/Date(ms)/`, epoch seconds, or a Date.
 *
 * @example
 * ```ts
 * await tw.appTokens.grant({ expiration: new Date(Date.now() + 86_400_000) });
 * ```
 */
export type DateInput = string | number | Date;

/**
 * GrantInput (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.grant({ roles: ['Reader'], expiration: '2027-01-01', apiEndpoints: ['GET /api/v1/usersession'] });
 * ```
 */
export interface GrantInput {
  roles?: string[];
  expiration?: DateInput;
  name?: string;
  description?: string;
  /** Limits the token to these endpoints (`METHOD /path`); scope becomes `custom`. */
  apiEndpoints?: string[];
}

/**
 * ImportValueInput (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.importValue({ token: oldValue, identity: { name: 'Admin' }, roles: ['Administrator'] });
 * ```
 */
export interface ImportValueInput {
  token: string;
  identity: { name: string } | { id: number };
  roles?: string[];
  expiration?: DateInput;
  name?: string;
  description?: string;
}

/**
 * TokenListQuery (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.list({ status: 'active', identity: 'build-bot', expiringWithin: '7d' });
 * ```
 */
export interface TokenListQuery extends Pagination {
  status?: TokenStatus | Lowercase<TokenStatus>;
  /** Identity id or name. */
  identity?: string | number;
  /** `app` (default), `personal`, `refresh`, `access`, several comma-separated, or `all`. */
  kind?: string;
  /** A duration: `7d`, `24h`, `30m`; a bare number is days. */
  expiringWithin?: string;
  search?: string;
}

/**
 * One token as exported for migration: hash and metadata, never a value.
 *
 * @example
 * ```ts
 * for await (const page of tw.appTokens.exportAll()) for (const r of page.items) console.log(r.token_hash, r.identity);
 * ```
 */
export interface TokenRecord {
  id?: number;
  kind: string;
  /** SHA-256 of the value, lowercase hex. */
  token_hash: string;
  hint: string;
  name: string;
  description: string;
  /** Identity name, matched case-insensitively on import. */
  identity: string;
  roles: string[];
  scope: 'all' | 'custom';
  apiEndpoints: string[] | null;
  created: string;
  expiration: string;
  revoked: boolean;
  revokedDate: string | null;
}

/**
 * ExportQuery (API shape).
 *
 * @example
 * ```ts
 * const page = await tw.appTokens.exportPage({ kind: 'app', status: 'active', limit: 500 });
 * ```
 */
export interface ExportQuery {
  /** `app`, `personal` or both comma-separated (default both). */
  kind?: string;
  /** `all` (default, for backups) or `active`. */
  status?: 'all' | 'active';
  /** Cursor: the previous page's `next`. */
  after?: number;
  limit?: number;
}

/**
 * ExportPage (API shape).
 *
 * @example
 * ```ts
 * const { items, next, total } = await tw.appTokens.exportPage();
 * ```
 */
export interface ExportPage {
  items: TokenRecord[];
  /** Cursor for the next page, null on the last one. */
  next: number | null;
  total: number;
}

/**
 * ImportResult (API shape).
 *
 * @example
 * ```ts
 * const { imported, skipped } = await tw.appTokens.importHashes(records);
 * ```
 */
export interface ImportResult {
  imported: number;
  skipped: Array<{ id?: number; hint: string; reason: string }>;
}

/**
 * Identity (API shape).
 *
 * @example
 * ```ts
 * const identity: Identity = await tw.identities.get(7);
 * ```
 */
export interface Identity {
  id: number;
  name: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  fullName: string;
  source: string;
  roles: string[];
  enabled: boolean;
  hasPassword: boolean;
  created: string;
  updated: string;
}

/**
 * IdentityInput (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.update(7, { roles: ['Reader'], enabled: false });
 * ```
 */
export interface IdentityInput {
  name?: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  roles?: string[];
  enabled?: boolean;
  password?: string | null;
}

/**
 * CreateIdentityInput (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.create({ name: 'build-bot', roles: ['Operator'] });
 * ```
 */
export interface CreateIdentityInput extends IdentityInput {
  name: string;
  source?: string;
}

/**
 * IdentityListQuery (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.list({ role: 'Operator', enabled: true });
 * ```
 */
export interface IdentityListQuery extends Pagination {
  search?: string;
  role?: string;
  enabled?: boolean;
}

/**
 * Role (API shape).
 *
 * @example
 * ```ts
 * const roles: Role[] = await tw.roles.list();
 * ```
 */
export interface Role {
  name: string;
  description: string;
  /** Permission strings and grants (`*`, `custom:*`, `custom:*:read` for built-ins). */
  permissions: string[];
  builtin: boolean;
}

/**
 * CreateRoleInput (API shape).
 *
 * @example
 * ```ts
 * await tw.roles.create({ name: 'Billing', permissions: ['billing:read', 'billing:write'] });
 * ```
 */
export interface CreateRoleInput {
  name: string;
  description?: string;
  permissions: string[];
}

/**
 * UpdateRoleInput (API shape).
 *
 * @example
 * ```ts
 * await tw.roles.update('Billing', { permissions: ['billing:read'] });
 * ```
 */
export interface UpdateRoleInput {
  description?: string;
  permissions?: string[];
}

/**
 * Session (API shape).
 *
 * @example
 * ```ts
 * const { items } = await tw.sessions.list();
 * ```
 */
export interface Session {
  id: number;
  identityId: number;
  created: string;
  lastSeen: string;
  expires: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

/**
 * SignInResult (API shape).
 *
 * @example
 * ```ts
 * const { identity, csrfToken, client } = await tw.sessions.signIn('alice', password);
 * ```
 */
export interface SignInResult {
  identity: Identity;
  csrfToken: string;
  expires: string;
}

/**
 * AuditEvent (API shape).
 *
 * @example
 * ```ts
 * const { items } = await tw.audit({ action: 'token.*' });
 * ```
 */
export interface AuditEvent {
  id: number;
  at: string;
  actor: { id: number | null; name: string | null };
  action: string;
  outcome: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

/**
 * AuditQuery (API shape).
 *
 * @example
 * ```ts
 * await tw.audit({ outcome: 'failure', since: '2026-01-01' });
 * ```
 */
export interface AuditQuery extends Pagination {
  /** Actor name or id. */
  actor?: string;
  /** Exact action, or a prefix ending in `*` (`token.*`). */
  action?: string;
  outcome?: 'success' | 'failure';
  targetType?: string;
  targetId?: string;
  since?: string;
  until?: string;
}

/**
 * Me (API shape).
 *
 * @example
 * ```ts
 * const me: Me = await tw.me();
 * ```
 */
export interface Me {
  identity: Identity;
  via: string;
  roles: string[];
  permissions: string[];
  tokenId: number | null;
  apiEndpoints: string[] | null;
}

/**
 * Limits (API shape).
 *
 * @example
 * ```ts
 * const { appToken } = await tw.limits();
 * ```
 */
export interface Limits {
  appToken: { defaultTtlSeconds: number; maxTtlSeconds: number };
  personal: { defaultTtlSeconds: number; maxTtlSeconds: number };
}

/**
 * SigningKey (API shape).
 *
 * @example
 * ```ts
 * const key: SigningKey = await tw.keys.rotate();
 * ```
 */
export interface SigningKey {
  kid: string;
  alg: string;
  created: string;
  /** `active` (signs), `published` (retired, still verifies) or `retired`. */
  status: string;
  retired: string | null;
  publishedUntil: string | null;
}

/**
 * PersonalTokenInput (API shape).
 *
 * @example
 * ```ts
 * await tw.personalTokens.create({ name: 'laptop', expiration: '2027-01-01' });
 * ```
 */
export interface PersonalTokenInput {
  name: string;
  description?: string;
  expiration?: DateInput;
}

/**
 * Seed 003: the answer to `POST /PersonalTokens/authenticate`.
 *
 * @example
 * ```ts
 * const { token } = await tw.personalTokens.authenticate('alice', pat);
 * ```
 */
export interface PersonalAuthResult {
  /** A short-lived access JWT. */
  token: string;
  user: {
    userId: string;
    email: string | null;
    firstName: string | null;
    lastName: string | null;
    fullName: string;
    enabled: boolean;
  };
  tokenExpires: string;
}

/**
 * RFC 7662: `{active: false}` alone for anything not active.
 *
 * @example
 * ```ts
 * const info: Introspection = await tw.tokens.introspect(value);
 * ```
 */
export interface Introspection {
  active: boolean;
  token_type?: string;
  sub?: string;
  username?: string;
  roles?: string[];
  /** Management permissions held. */
  permissions?: string[];
  /** Everything the token may do, as grants (patterns included). */
  grants?: string[];
  scope?: string;
  api_endpoints?: string[];
  exp?: number;
  iat?: number;
  iss?: string;
  aud?: string;
  jti?: string;
  tid?: number;
  [claim: string]: unknown;
}

/**
 * RefreshResult (API shape).
 *
 * @example
 * ```ts
 * const { access_token, refresh_token } = await tw.tokens.refresh(refreshToken);
 * ```
 */
export interface RefreshResult {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  accessToken: string;
  refreshToken: string;
  tokenExpiryTimestamp: number;
  refreshTokenExpiryTimestamp: number;
}

/**
 * ExchangeInput (API shape).
 *
 * @example
 * ```ts
 * await app.tokens.exchange({ subject_token: sessionSecret, subject_token_type: 'urn:tokenward:params:oauth:token-type:session', scope: 'Reader' });
 * ```
 */
export interface ExchangeInput {
  subject_token: string;
  /** Default `urn:ietf:params:oauth:token-type:access_token`; a session cookie value is `urn:tokenward:params:oauth:token-type:session`. */
  subject_token_type?: string;
  /** The acting app's token, when not the client's own credential. */
  actor_token?: string;
  actor_token_type?: string;
  /** Role names and/or permissions, space-separated, narrowing the issued token. */
  scope?: string;
  requested_token_type?: string;
  audience?: string;
  resource?: string;
}

/**
 * ExchangeResult (API shape).
 *
 * @example
 * ```ts
 * const { access_token, expires_in } = await app.tokens.exchange({ subject_token: userToken });
 * ```
 */
export interface ExchangeResult {
  access_token: string;
  issued_token_type: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/**
 * The answer of `GET /auth/verify` (204 with headers).
 *
 * @example
 * ```ts
 * const { identityId, roles } = await tw.tokens.verify('billing:read');
 * ```
 */
export interface GatewayVerdict {
  identityId: number;
  identityName: string;
  roles: string[];
  permissions: string[];
}

/**
 * Jwks (API shape).
 *
 * @example
 * ```ts
 * const { keys } = await tw.keys.jwks();
 * ```
 */
export interface Jwks {
  keys: Array<Record<string, unknown> & { kid?: string; kty: string }>;
}
