/*
 * Request and response shapes of the Tokenward management API (`/api/v1`). Every shape here is
 * an alias into ./generated/openapi.ts, which `npm run generate:client` writes from the
 * server's OpenAPI document (`GET /api/openapi.json`): the server's schemas are the one source,
 * nothing is written twice. Names the document does not give are taken from the operation
 * that uses the shape. Dates are ISO 8601 strings.
 */
import type { JSONWebKeySet } from 'jose';
import type { components, paths } from './generated/openapi.js';

type Schemas = components['schemas'];
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

/** The JSON body an operation accepts. */
type RequestJson<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** The JSON body of an operation's success answer. */
type ResponseJson<P extends keyof paths, M extends Method> = Operation<P, M>['responses'] extends infer R
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : never
  : never;

/** The query parameters of an operation. */
type QueryOf<P extends keyof paths, M extends Method> = NonNullable<Operation<P, M>['parameters']['query']>;

type Item<L> = L extends { items: readonly (infer I)[] } ? I : never;

/**
 * A page of a list.
 *
 * @example
 * ```ts
 * const page: Page<Token> = await tw.appTokens.list();
 * ```
 */
export type Page<T> = Omit<ResponseJson<'/api/v1/apptoken', 'get'>, 'items'> & { items: T[] };

/**
 * Pagination (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.list({ limit: 100, offset: 200 });
 * ```
 */
export type Pagination = Pick<QueryOf<'/api/v1/identity', 'get'>, 'limit' | 'offset'>;

/**
 * A token's metadata. `token` (the value) is present only in the response that creates it.
 *
 * @example
 * ```ts
 * const token: Token = await tw.appTokens.get(12);
 * ```
 */
export type Token = Schemas['Token'];

/**
 * TokenStatus (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.list({ status: 'Active' satisfies TokenStatus });
 * ```
 */
export type TokenStatus = Token['status'];

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
 * A date: ISO 8601, `/Date(ms)/`, epoch seconds, or a Date (the client sends its ISO form).
 *
 * @example
 * ```ts
 * await tw.appTokens.grant({ expiration: new Date(Date.now() + 86_400_000) });
 * ```
 */
export type DateInput =
  | Exclude<RequestJson<'/api/v1/apptoken/grant', 'post'>['expiration'], null | undefined>
  | Date;

/** A request body whose `expiration` may also be a Date. */
type WithDateInput<B> = B extends { expiration?: unknown }
  ? Omit<B, 'expiration'> & { expiration?: DateInput }
  : B;

/**
 * GrantInput (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.grant({ roles: ['Reader'], expiration: '2027-01-01', apiEndpoints: ['GET /api/v1/usersession'] });
 * ```
 */
export type GrantInput = WithDateInput<RequestJson<'/api/v1/apptoken/grant', 'post'>>;

/**
 * ImportValueInput (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.importValue({ token: oldValue, identity: { name: 'Admin' }, roles: ['Administrator'] });
 * ```
 */
export type ImportValueInput = WithDateInput<RequestJson<'/api/v1/apptoken', 'post'>>;

/**
 * TokenListQuery (API shape).
 *
 * @example
 * ```ts
 * await tw.appTokens.list({ status: 'active', identity: 'build-bot', expiringWithin: '7d' });
 * ```
 */
export type TokenListQuery = Omit<QueryOf<'/api/v1/apptoken', 'get'>, 'identity'> & {
  /** Identity id or name. */
  identity?: QueryOf<'/api/v1/apptoken', 'get'>['identity'] | number;
};

/**
 * ExportPage (API shape).
 *
 * @example
 * ```ts
 * const { items, next, total } = await tw.appTokens.exportPage();
 * ```
 */
export type ExportPage = ResponseJson<'/api/v1/apptoken/export', 'get'>;

/**
 * One token as exported for migration: hash and metadata, never a value.
 *
 * @example
 * ```ts
 * for await (const page of tw.appTokens.exportAll()) for (const r of page.items) console.log(r.token_hash, r.identity);
 * ```
 */
export type TokenRecord = Item<ExportPage>;

/**
 * ExportQuery (API shape).
 *
 * @example
 * ```ts
 * const page = await tw.appTokens.exportPage({ kind: 'app', status: 'active', limit: 500 });
 * ```
 */
export type ExportQuery = QueryOf<'/api/v1/apptoken/export', 'get'>;

/**
 * ImportResult (API shape).
 *
 * @example
 * ```ts
 * const { imported, skipped } = await tw.appTokens.importHashes(records);
 * ```
 */
export type ImportResult = ResponseJson<'/api/v1/apptoken/import-hashes', 'post'>;

/**
 * Identity (API shape).
 *
 * @example
 * ```ts
 * const identity: Identity = await tw.identities.get(7);
 * ```
 */
export type Identity = Schemas['Identity'];

/**
 * IdentityInput (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.update(7, { roles: ['Reader'], enabled: false });
 * ```
 */
export type IdentityInput = RequestJson<'/api/v1/identity/{id}', 'put'>;

/**
 * CreateIdentityInput (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.create({ name: 'build-bot', roles: ['Operator'] });
 * ```
 */
export type CreateIdentityInput = RequestJson<'/api/v1/identity', 'post'>;

/**
 * IdentityListQuery (API shape).
 *
 * @example
 * ```ts
 * await tw.identities.list({ role: 'Operator', enabled: true });
 * ```
 */
export type IdentityListQuery = QueryOf<'/api/v1/identity', 'get'>;

/**
 * Role (API shape).
 *
 * @example
 * ```ts
 * const roles: Role[] = await tw.roles.list();
 * ```
 */
export type Role = Schemas['Role'];

/**
 * CreateRoleInput (API shape).
 *
 * @example
 * ```ts
 * await tw.roles.create({ name: 'Billing', permissions: ['billing:read', 'billing:write'] });
 * ```
 */
export type CreateRoleInput = RequestJson<'/api/v1/role', 'post'>;

/**
 * UpdateRoleInput (API shape).
 *
 * @example
 * ```ts
 * await tw.roles.update('Billing', { permissions: ['billing:read'] });
 * ```
 */
export type UpdateRoleInput = RequestJson<'/api/v1/role/{name}', 'put'>;

/**
 * Session (API shape).
 *
 * @example
 * ```ts
 * const { items } = await tw.sessions.list();
 * ```
 */
export type Session = Item<ResponseJson<'/api/v1/usersession', 'get'>>;

/**
 * The query of the session list.
 *
 * @example
 * ```ts
 * await tw.sessions.list({ identityId: 7 } satisfies SessionListQuery);
 * ```
 */
export type SessionListQuery = QueryOf<'/api/v1/usersession', 'get'>;

/**
 * SignInResult (API shape).
 *
 * @example
 * ```ts
 * const { identity, csrfToken, client } = await tw.sessions.signIn('alice', password);
 * ```
 */
export type SignInResult = ResponseJson<'/api/v1/signin', 'post'>;

/**
 * AuditEvent (API shape).
 *
 * @example
 * ```ts
 * const { items } = await tw.audit({ action: 'token.*' });
 * ```
 */
export type AuditEvent = Item<ResponseJson<'/api/v1/audit', 'get'>>;

/**
 * AuditQuery (API shape).
 *
 * @example
 * ```ts
 * await tw.audit({ outcome: 'failure', since: '2026-01-01' });
 * ```
 */
export type AuditQuery = QueryOf<'/api/v1/audit', 'get'>;

/**
 * Me (API shape).
 *
 * @example
 * ```ts
 * const me: Me = await tw.me();
 * ```
 */
export type Me = ResponseJson<'/api/v1/me', 'get'>;

/**
 * Limits (API shape).
 *
 * @example
 * ```ts
 * const { appToken } = await tw.limits();
 * ```
 */
export type Limits = ResponseJson<'/api/v1/settings/limits', 'get'>;

/**
 * SigningKey (API shape).
 *
 * @example
 * ```ts
 * const key: SigningKey = await tw.keys.rotate();
 * ```
 */
export type SigningKey = Item<ResponseJson<'/api/v1/keys', 'get'>>;

/**
 * PersonalTokenInput (API shape).
 *
 * @example
 * ```ts
 * await tw.personalTokens.create({ name: 'laptop', expiration: '2027-01-01' });
 * ```
 */
export type PersonalTokenInput = WithDateInput<RequestJson<'/api/v1/PersonalTokens', 'post'>>;

/**
 * The query of the personal token list.
 *
 * @example
 * ```ts
 * await tw.personalTokens.list({ status: 'active' } satisfies PersonalTokenListQuery);
 * ```
 */
export type PersonalTokenListQuery = QueryOf<'/api/v1/PersonalTokens', 'get'>;

/**
 * Seed 003: the answer to `POST /PersonalTokens/authenticate`.
 *
 * @example
 * ```ts
 * const { token } = await tw.personalTokens.authenticate('alice', pat);
 * ```
 */
export type PersonalAuthResult = ResponseJson<'/api/v1/PersonalTokens/authenticate', 'post'>;

/**
 * RFC 7662: `{active: false}` alone for anything not active; an active token's claims
 * (`sub`, `roles`, `scope`, `exp`…) otherwise.
 *
 * @example
 * ```ts
 * const info: Introspection = await tw.tokens.introspect(value);
 * ```
 */
export type Introspection = ResponseJson<'/api/v1/token/introspect', 'post'>;

/**
 * RefreshResult (API shape).
 *
 * @example
 * ```ts
 * const { access_token, refresh_token } = await tw.tokens.refresh(refreshToken);
 * ```
 */
export type RefreshResult = ResponseJson<'/api/v1/token/refresh', 'post'>;

/**
 * TokenResult (API shape): the answer of the token endpoint, `POST /api/v1/token`.
 *
 * @example
 * ```ts
 * const { access_token, scope } = await service.tokens.clientCredentials('Reader');
 * ```
 */
export type TokenResult = ResponseJson<'/api/v1/token', 'post'>;

/**
 * ClientKeys (API shape): the public keys an identity registered for private_key_jwt.
 *
 * @example
 * ```ts
 * const { keys, roles } = await admin.identities.clientKeys.get(7);
 * ```
 */
export type ClientKeys = ResponseJson<'/api/v1/identity/{id}/jwks', 'get'>;

/**
 * ClientKeysInput (API shape): a JWKS of public keys only.
 *
 * @example
 * ```ts
 * await admin.identities.clientKeys.put(7, { keys: [publicJwk] });
 * ```
 */
export type ClientKeysInput = RequestJson<'/api/v1/identity/{id}/jwks', 'put'>;

/**
 * ExchangeInput (API shape): the body without its fixed `grant_type`, which the client adds.
 *
 * @example
 * ```ts
 * await app.tokens.exchange({ subject_token: sessionSecret, subject_token_type: 'urn:tokenward:params:oauth:token-type:session', scope: 'Reader' });
 * ```
 */
export type ExchangeInput = Omit<RequestJson<'/api/v1/token/exchange', 'post'>, 'grant_type'>;

/**
 * ExchangeResult (API shape).
 *
 * @example
 * ```ts
 * const { access_token, expires_in } = await app.tokens.exchange({ subject_token: userToken });
 * ```
 */
export type ExchangeResult = ResponseJson<'/api/v1/token/exchange', 'post'>;

/**
 * The answer of `GET /auth/verify`: a 204 whose headers the client reads into this object
 * (the document has no body to take it from).
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
 * The public JWK set (`/.well-known/jwks.json`), as jose types it.
 *
 * @example
 * ```ts
 * const { keys } = await tw.keys.jwks();
 * ```
 */
export type Jwks = JSONWebKeySet;
