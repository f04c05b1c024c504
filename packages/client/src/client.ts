import { TokenwardError } from './errors.js';
import { ROUTES, type Route } from './routes.js';
import type {
  AuditEvent,
  AuditQuery,
  ClientKeys,
  ClientKeysInput,
  CreateIdentityInput,
  CreateRoleInput,
  DateInput,
  ExchangeInput,
  ExchangeResult,
  ExportPage,
  ExportQuery,
  GatewayVerdict,
  GrantInput,
  Identity,
  IdentityInput,
  IdentityListQuery,
  ImportResult,
  ImportValueInput,
  Introspection,
  Jwks,
  Limits,
  Me,
  NewToken,
  Page,
  Pagination,
  PersonalAuthResult,
  PersonalTokenInput,
  RefreshResult,
  Role,
  Session,
  SignInResult,
  SigningKey,
  Token,
  TokenListQuery,
  TokenRecord,
  TokenResult,
  UpdateRoleInput,
} from './types.js';

/** The session cookie set by sign-in, and the CSRF token that must accompany its writes. */
export interface SessionCredential {
  /** Value of the `tw_session` cookie. */
  secret: string;
  /** `csrfToken` of the sign-in response, sent as `X-CSRF-Token` on writes. */
  csrfToken: string;
}

/**
 * Options of {@link TokenwardClient}.
 *
 * @example
 * ```ts
 * const options: ClientOptions = { baseUrl: 'https://tokens.example.com', token: process.env.TOKENWARD_TOKEN };
 * ```
 */
export interface ClientOptions {
  /** Where Tokenward listens, e.g. `http://localhost:5000`. */
  baseUrl: string;
  /** A bearer credential: an app token, a personal token or an access JWT. */
  token?: string;
  /** A signed-in session instead of a token. */
  session?: SessionCredential;
  /**
   * For a page served by Tokenward itself (the admin console): the browser sends its HttpOnly
   * session cookie (`credentials: 'same-origin'`), and writes carry `X-CSRF-Token` with the
   * value this function returns (read from the `tw_csrf` cookie). Sign in with
   * `sessions.signInBrowser`.
   */
  browserSession?: { csrfToken: () => string | undefined };
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Extra headers sent with every request (never put a credential here). */
  headers?: Record<string, string>;
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

interface CallOptions {
  params?: Record<string, string | number>;
  query?: Query;
  json?: unknown;
  /** Answer is 204 (or ignored): resolve to undefined. */
  empty?: boolean;
}

const dateValue = (d: DateInput | undefined) => (d instanceof Date ? d.toISOString() : d);

function withDates<T extends { expiration?: DateInput }>(
  input: T,
): Omit<T, 'expiration'> & { expiration?: string | number } {
  const { expiration, ...rest } = input;
  return expiration === undefined ? rest : { ...rest, expiration: dateValue(expiration) as string | number };
}

/**
 * A typed client for the whole Tokenward management API. Errors are thrown as
 * {@link TokenwardError} carrying the server's status, `code` and message.
 *
 * @example
 * ```ts
 * import { TokenwardClient } from '@tokenward/client';
 *
 * const tw = new TokenwardClient({ baseUrl: 'http://localhost:5000', token: process.env.TOKENWARD_TOKEN });
 * const granted = await tw.appTokens.grant({ roles: ['Reader'], name: 'ci', expiration: '2030-01-01' });
 * console.log(granted.token); // shown once
 * for (const t of (await tw.appTokens.list({ status: 'Active' })).items) console.log(t.id, t.name, t.hint);
 * await tw.appTokens.revoke(granted.id);
 * ```
 */
export class TokenwardClient {
  readonly baseUrl: string;
  private readonly options: ClientOptions;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    if (!/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError('baseUrl must be an http:// or https:// URL.');
    }
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /**
   * The same client with another credential.
   *
   * @example
   * ```ts
   * const asApp = tw.withCredential({ token: appToken });
   * ```
   */
  withCredential(credential: { token: string } | { session: SessionCredential }): TokenwardClient {
    const { token: _t, session: _s, ...rest } = this.options;
    return new TokenwardClient({ ...rest, ...credential });
  }

  /** Calls one route. Path parameters are URL-encoded; undefined query values are left out. */
  private async call<T>(route: Route, o: CallOptions = {}): Promise<T> {
    const res = await this.raw(route, o);
    if (o.empty || res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  private async raw(route: Route, o: CallOptions = {}): Promise<Response> {
    let path = route.path;
    for (const [k, v] of Object.entries(o.params ?? {})) {
      path = path.replace(`{${k}}`, encodeURIComponent(String(v)));
    }
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(o.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...(this.options.headers ?? {}) };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    else if (this.options.session) {
      headers.cookie = `tw_session=${this.options.session.secret}`;
      if (route.method !== 'GET') headers['x-csrf-token'] = this.options.session.csrfToken;
    } else if (this.options.browserSession && route.method !== 'GET') {
      const csrf = this.options.browserSession.csrfToken();
      if (csrf) headers['x-csrf-token'] = csrf;
    }
    let body: string | undefined;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: route.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        redirect: 'manual',
        ...(this.options.browserSession ? { credentials: 'same-origin' as const } : {}),
      });
    } catch (err) {
      const reason =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : '';
      throw new TokenwardError(
        0,
        { errorMessage: `Cannot reach Tokenward at ${this.baseUrl}${reason ? ` (${reason})` : ''}.` },
        { cause: err },
      );
    }
    if (res.status >= 200 && res.status < 300) return res;
    const text = await res.text().catch(() => '');
    let parsed: { errorCode?: number; errorMessage?: string; code?: string } = {};
    try {
      const json = JSON.parse(text) as unknown;
      if (json && typeof json === 'object') parsed = json as typeof parsed;
    } catch {
      // Not JSON (a proxy's error page): the status alone speaks.
    }
    // The response is the cause: its headers (Retry-After, …) stay readable.
    throw new TokenwardError(res.status, parsed, { cause: res });
  }

  /** Sign-in and sessions. */
  readonly sessions = {
    /**
     * Signs in with a username (or email) and password. Returns the session and a client
     * that uses it (cookie, and CSRF token on writes).
     */
    signIn: async (
      username: string,
      password: string,
    ): Promise<SignInResult & { session: SessionCredential; client: TokenwardClient }> => {
      const res = await this.raw(ROUTES.signIn, { json: { username, password } });
      const result = (await res.json()) as SignInResult;
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0] ?? '')
        .find((c) => c.startsWith('tw_session='));
      if (!cookie)
        throw new TokenwardError(res.status, { errorMessage: 'Sign-in answered without a session.' });
      const session = { secret: cookie.slice('tw_session='.length), csrfToken: result.csrfToken };
      return { ...result, session, client: this.withCredential({ session }) };
    },
    /**
     * Signs in from a page served by Tokenward (a `browserSession` client): the browser keeps
     * the HttpOnly session cookie, and this client sends the CSRF token on writes from then on.
     */
    signInBrowser: async (username: string, password: string): Promise<SignInResult> =>
      this.call<SignInResult>(ROUTES.signIn, { json: { username, password } }),
    /** Ends the current session (a session client) and clears its cookies. */
    signOut: () => this.call<{ signedOut: boolean }>(ROUTES.signOut, { json: {} }),
    /** Your sessions; everyone's with `sessions:read` (filter with identityId). */
    list: (q: Pagination & { identityId?: number } = {}) =>
      this.call<Page<Session>>(ROUTES.listSessions, { query: { ...q } }),
    /** Ends a session: your own, or anyone's with `sessions:revoke`. */
    end: (id: number) => this.call<void>(ROUTES.endSession, { params: { id }, empty: true }),
  };

  /** App tokens (seed 001), export and hash import. */
  readonly appTokens = {
    /** Grants an app token to the caller, or to `identityId` (needs `tokens:grant-any`). */
    grant: (input: GrantInput = {}, identityId?: number): Promise<NewToken> => {
      const body = { ...withDates(input), ...(input.apiEndpoints ? { scope: 'custom' } : {}) };
      return identityId === undefined
        ? this.call<NewToken>(ROUTES.grant, { json: body })
        : this.call<NewToken>(ROUTES.grantTo, { params: { identityId }, json: body });
    },
    /** Seed 001's GET form: a token with the target's roles and the default lifetime. */
    grantDefault: (identityId?: number): Promise<NewToken> =>
      identityId === undefined
        ? this.call<NewToken>(ROUTES.grantDefault)
        : this.call<NewToken>(ROUTES.grantDefaultTo, { params: { identityId } }),
    /** Imports an existing token value (migration); only its hash is stored. */
    importValue: (input: ImportValueInput) =>
      this.call<Token>(ROUTES.importValue, { json: withDates(input) }),
    list: (q: TokenListQuery = {}) => this.call<Page<Token>>(ROUTES.listTokens, { query: { ...q } }),
    get: (id: number) => this.call<Token>(ROUTES.getToken, { params: { id } }),
    update: (id: number, patch: { name?: string; description?: string }) =>
      this.call<Token>(ROUTES.updateToken, { params: { id }, json: patch }),
    /** Revokes a token (kept for the audit trail). */
    revoke: (id: number) => this.call<Token>(ROUTES.revokeToken, { params: { id } }),
    /** One page of the export (hashes and metadata, never values). */
    exportPage: (q: ExportQuery = {}) => this.call<ExportPage>(ROUTES.exportTokens, { query: { ...q } }),
    /** Every page of the export, in order. */
    exportAll: (q: Omit<ExportQuery, 'after'> = {}): AsyncGenerator<ExportPage> => this.exportPages(q),
    /**
     * Imports exported records in batches (500 per request by default). Idempotent: records
     * already present are reported as skipped with reason `exists`.
     */
    importHashes: async (
      records: readonly TokenRecord[],
      o: { batchSize?: number; onBatch?: (done: number, total: number) => void } = {},
    ): Promise<ImportResult> => {
      const size = Math.max(1, Math.min(o.batchSize ?? 500, 500));
      const out: ImportResult = { imported: 0, skipped: [] };
      for (let i = 0; i < records.length; i += size) {
        const batch = records.slice(i, i + size);
        const r = await this.call<ImportResult>(ROUTES.importHashes, { json: batch });
        out.imported += r.imported;
        out.skipped.push(...r.skipped);
        o.onBatch?.(i + batch.length, records.length);
      }
      return out;
    },
  };

  private async *exportPages(q: Omit<ExportQuery, 'after'>): AsyncGenerator<ExportPage> {
    let after = 0;
    for (;;) {
      const page = await this.call<ExportPage>(ROUTES.exportTokens, { query: { ...q, after } });
      yield page;
      if (page.next === null) return;
      after = page.next;
    }
  }

  /** Personal access tokens (seed 003): your own. */
  readonly personalTokens = {
    list: (q: Pagination & { status?: string } = {}) =>
      this.call<Page<Token>>(ROUTES.listPersonalTokens, { query: { ...q } }),
    create: (input: PersonalTokenInput) =>
      this.call<NewToken>(ROUTES.createPersonalToken, { json: withDates(input) }),
    update: (id: number, patch: { name?: string; description?: string }) =>
      this.call<Token>(ROUTES.updatePersonalToken, { params: { id }, json: patch }),
    revoke: (id: number) => this.call<Token>(ROUTES.revokePersonalToken, { params: { id } }),
    /** Exchanges a username (or email) and personal token for a short-lived access JWT. */
    authenticate: (username: string, personalToken: string) =>
      this.call<PersonalAuthResult>(ROUTES.authenticatePersonalToken, { json: { username, personalToken } }),
  };

  /** Identities. */
  readonly identities = {
    list: (q: IdentityListQuery = {}) =>
      this.call<Page<Identity>>(ROUTES.listIdentities, { query: { ...q } }),
    create: (input: CreateIdentityInput) => this.call<Identity>(ROUTES.createIdentity, { json: input }),
    get: (id: number) => this.call<Identity>(ROUTES.getIdentity, { params: { id } }),
    /** Fields given are replaced. */
    update: (id: number, patch: IdentityInput) =>
      this.call<Identity>(ROUTES.updateIdentity, { params: { id }, json: patch }),
    delete: (id: number) => this.call<void>(ROUTES.deleteIdentity, { params: { id }, empty: true }),
    /** The identity with this exact name (case-insensitive), or null. */
    findByName: async (name: string): Promise<Identity | null> => {
      const page = await this.call<Page<Identity>>(ROUTES.listIdentities, {
        query: { search: name, limit: 500 },
      });
      return page.items.find((i) => i.name.toLowerCase() === name.toLowerCase()) ?? null;
    },
    /** Public keys for private_key_jwt client authentication (RFC 7523). */
    clientKeys: {
      get: (id: number) => this.call<ClientKeys>(ROUTES.getClientKeys, { params: { id } }),
      /** Replaces the identity's keys; registering them is like granting it an app token. */
      put: (id: number, jwks: ClientKeysInput) =>
        this.call<ClientKeys>(ROUTES.putClientKeys, { params: { id }, json: jwks }),
      delete: (id: number) => this.call<void>(ROUTES.deleteClientKeys, { params: { id }, empty: true }),
    },
  };

  /** Roles (built-ins are read-only). */
  readonly roles = {
    list: () => this.call<Role[]>(ROUTES.listRoles),
    create: (input: CreateRoleInput) => this.call<Role>(ROUTES.createRole, { json: input }),
    get: (name: string) => this.call<Role>(ROUTES.getRole, { params: { name } }),
    update: (name: string, patch: UpdateRoleInput) =>
      this.call<Role>(ROUTES.updateRole, { params: { name }, json: patch }),
    delete: (name: string) => this.call<void>(ROUTES.deleteRole, { params: { name }, empty: true }),
  };

  /** Token protocol endpoints: RFC 7662, 7009, refresh rotation, RFC 8693, gateway check. */
  readonly tokens = {
    introspect: (token: string) => this.call<Introspection>(ROUTES.introspect, { json: { token } }),
    /** RFC 7009: succeeds whether or not the token was known. */
    revoke: (token: string) => this.call<void>(ROUTES.revokeValue, { json: { token }, empty: true }),
    refresh: (refreshToken: string) =>
      this.call<RefreshResult>(ROUTES.refresh, {
        json: { grant_type: 'refresh_token', refresh_token: refreshToken },
      }),
    /** RFC 8693 token exchange; the client's credential acts as the actor unless `actor_token` is given. */
    exchange: (input: ExchangeInput) =>
      this.call<ExchangeResult>(ROUTES.exchange, {
        json: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', ...input },
      }),
    /** RFC 6749 §4.4: a short-lived access token for the client itself, narrowed to `scope` if given. */
    clientCredentials: (scope?: string) =>
      this.call<TokenResult>(ROUTES.token, {
        json: { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
      }),
    /** The gateway check of the client's own credential (optionally requiring a permission). */
    verify: async (permission?: string): Promise<GatewayVerdict> => {
      const res = await this.raw(ROUTES.gatewayVerify, { query: { permission } });
      const list = (h: string | null) => (h ? h.split(',').filter(Boolean) : []);
      return {
        identityId: Number(res.headers.get('x-tokenward-identity')),
        identityName: decodeURIComponent(res.headers.get('x-tokenward-identity-name') ?? ''),
        roles: list(res.headers.get('x-tokenward-roles')),
        permissions: list(res.headers.get('x-tokenward-permissions')),
      };
    },
  };

  /** Signing keys. */
  readonly keys = {
    list: async () => (await this.call<{ items: SigningKey[] }>(ROUTES.listKeys)).items,
    /**
     * Adds a signing key, published at once; it signs after the server's publication delay
     * (`status: 'pending'` until `activeFrom`), or at once with `{ now: true }` (an emergency:
     * verifiers holding a cached JWKS refuse its tokens until they refetch). The old key stays
     * published until its tokens expire.
     */
    rotate: (options: { now?: boolean } = {}) =>
      this.call<SigningKey>(ROUTES.rotateKey, { json: options.now ? { now: true } : {} }),
    /** The public JWK set. */
    jwks: () => this.call<Jwks>(ROUTES.jwks),
  };

  /** The audit log, newest first (`audit:read`). */
  audit(q: AuditQuery = {}): Promise<Page<AuditEvent>> {
    return this.call<Page<AuditEvent>>(ROUTES.audit, { query: { ...q } });
  }

  /** Who the credential belongs to and what it may do. */
  me(): Promise<Me> {
    return this.call<Me>(ROUTES.me);
  }

  /** The instance's token lifetime policy. */
  limits(): Promise<Limits> {
    return this.call<Limits>(ROUTES.limits);
  }
}
