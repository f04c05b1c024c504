import { randomBytes } from 'node:crypto';
import type { App } from '../src/app.js';
import { ADMIN_PASSWORD } from './helpers.js';

/**
 * One credential of every kind of caller Tokenward knows, made through the HTTP API of an
 * in-process app (`app.inject`), each with the exact headers a request needs to present it.
 * Used by the OpenAPI fuzzer (fuzz-openapi.test.ts) and by property tests that must hold "for
 * every caller".
 *
 * Every call makes fresh identities (unique names) and fresh credentials, so a caller set can be
 * made again after a test revoked or changed some of them (pass `root` and `session` from the
 * previous set to skip the slow password hashing). It needs the app's fake clock: the `expired`
 * caller is a token minted to expire in a minute, after which the clock moves 61 s.
 *
 * Usage:
 *   const clock = fakeClock();
 *   const app = await buildApp({ config: testConfig(store), clock: clock.clock });
 *   const set = await createCallers(app, { advanceClock: clock.advance, now: clock.now });
 *   for (const c of set.list) await app.inject({ method: 'GET', url: '/api/v1/me', headers: c.headers });
 *
 * The `v4-onetouch` caller works once; `renewSingleUse` replaces it. Requests are sent from
 * 127.0.0.1 unless `remoteAddress` says otherwise (keep tests' own requests elsewhere if they
 * trip the failure limits).
 */

export const CALLER_KINDS = [
  /** No credential at all. */
  'none',
  /** App token of an identity with the Administrator role. */
  'admin',
  /** App token of an identity with the Operator role. */
  'operator',
  /** App token of an identity with the Reader role. */
  'reader',
  /** App token of an identity whose only role is a custom role (`<prefix>:read`, `tokens:read`). */
  'custom',
  /** Personal access token (POST /api/v1/PersonalTokens) of the Operator identity. */
  'pat',
  /** Access JWT from PAT authentication (POST /api/v1/PersonalTokens/authenticate). */
  'pat-jwt',
  /** Seed 004 access JWT, tokenType DEFAULT (Operator), sent in `Authtoken`. */
  'v4-default',
  /** Seed 004 access JWT, tokenType ALL. */
  'v4-all',
  /** Seed 004 access JWT, tokenType CUSTOM, limited to a few endpoints. */
  'v4-custom',
  /** Seed 004 opaque token, tokenType MS_SCIM (reaches only /scim/v2/*). */
  'v4-scim',
  /** Seed 004 opaque single-use token, tokenType OneTouch (refused once used). */
  'v4-onetouch',
  /** The refresh token of the DEFAULT access token, presented as a bearer credential. */
  'v4-refresh',
  /** Delegated JWT from token exchange: the Administrator acting for the Reader. */
  'delegated',
  /** Session cookie of an Administrator, with its X-CSRF-Token header. */
  'session-csrf',
  /** The same session cookie without X-CSRF-Token (writes must be refused). */
  'session-no-csrf',
  /** A revoked Administrator app token (it worked before it was revoked). */
  'revoked',
  /** An expired Administrator app token (it worked before it expired). */
  'expired',
  /** A value that is no token at all. */
  'malformed',
] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

export interface Caller {
  kind: CallerKind;
  /** The headers to send, exactly (Authorization, Authtoken, Cookie, X-CSRF-Token). */
  headers: Record<string, string>;
  /** The credential values in `headers` (the token, or the session secret and CSRF token). */
  secrets: string[];
  /** Identity whose credential it is; null for `none` and `malformed`. */
  identityId: number | null;
  /** Row id of the credential as the API shows it (token id, PAT id, accessTokenId), if any. */
  tokenId: number | null;
  /** Session id, for the session callers. */
  sessionId: number | null;
  /** Whether the credential authenticates (false for none, revoked, expired, malformed, refresh). */
  live: boolean;
}

export interface CallerSet {
  callers: Record<CallerKind, Caller>;
  /** The callers in CALLER_KINDS order. */
  list: Caller[];
  /**
   * Every secret value made here (tokens, refresh tokens, session secret, CSRF token), with the
   * name to print instead of it: `admin`, `v4-default.refreshToken`, `session.csrf`, …
   */
  secrets: Map<string, string>;
  /** The identities made here, by role. */
  identities: Record<'admin' | 'operator' | 'reader' | 'custom' | 'session', { id: number; name: string }>;
  /** Name of the custom role. */
  customRole: string;
  /** Sign-in name and password of the `session` identity (an Administrator). */
  sessionUser: { username: string; password: string };
  /** An Administrator token used to make everything (not one of the callers; keep it out of tests). */
  root: string;
}

export interface CallerOptions {
  /** Moves the app's fake clock forward (the `expired` caller needs 61 s). */
  advanceClock: (ms: number) => void;
  /** The app's clock, for the expiration of the `expired` caller. */
  now: () => number;
  /**
   * An Administrator token to make the identities with. Without it the bootstrap `admin` signs
   * in with `adminPassword` and grants one.
   */
  root?: string;
  adminPassword?: string;
  /**
   * An identity with a password (and the Administrator role) for the session callers, e.g. the
   * `sessionUser` of an earlier set. Without it a new one is made (hashing a password is slow).
   */
  session?: { username: string; password: string };
  /** Client address of the set-up requests (default 127.0.0.1). */
  remoteAddress?: string;
}

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of many shapes.
  body: any;
  text: string;
  cookies: Array<{ name: string; value: string }>;
}

/** Makes one caller of every kind. Throws with the failing step when the API refuses one. */
export async function createCallers(app: App, options: CallerOptions): Promise<CallerSet> {
  const remoteAddress = options.remoteAddress ?? '127.0.0.1';
  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    json?: unknown,
  ): Promise<Answer> => {
    const res = await app.inject({
      method,
      url,
      remoteAddress,
      headers: json === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(json === undefined ? {} : { payload: JSON.stringify(json) }),
    });
    let body: unknown = null;
    try {
      body = res.body ? JSON.parse(res.body) : null;
    } catch {
      body = null;
    }
    return { status: res.statusCode, body, text: res.body, cookies: res.cookies };
  };
  const must = (step: string, res: Answer, status = 200): Answer => {
    if (res.status !== status) {
      throw new Error(`caller set-up, ${step}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    }
    return res;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const suffix = randomBytes(4).toString('hex');

  const signIn = async (username: string, password: string) => {
    const res = must(
      `sign-in as ${username}`,
      await call('POST', '/api/v1/signin', {}, { username, password }),
    );
    const secret = res.cookies.find((c) => c.name === 'tw_session')?.value;
    if (!secret) throw new Error(`caller set-up: sign-in as ${username} set no session cookie`);
    return { secret, csrf: res.body.csrfToken as string, identityId: res.body.identity?.id as number };
  };

  let root = options.root;
  if (root === undefined) {
    const s = await signIn('admin', options.adminPassword ?? ADMIN_PASSWORD);
    root = must(
      'root grant',
      await call(
        'POST',
        '/api/v1/apptoken/grant',
        { cookie: `tw_session=${s.secret}`, 'x-csrf-token': s.csrf },
        {},
      ),
    ).body.token as string;
  }
  const rootHeaders = bearer(root);

  const customRole = `FuzzRole-${suffix}`;
  must(
    'custom role',
    await call('POST', '/api/v1/role', rootHeaders, {
      name: customRole,
      description: 'caller-kinds.ts',
      permissions: [`fuzz${suffix}:read`, 'tokens:read'],
    }),
    201,
  );
  const identity = async (role: string, roles: string[], password?: string) => {
    const name = `fz-${role}-${suffix}`;
    const res = must(
      `identity ${name}`,
      await call('POST', '/api/v1/identity', rootHeaders, {
        name,
        roles,
        email: `${name}@example.com`,
        ...(password ? { password } : {}),
      }),
      201,
    );
    return { id: res.body.id as number, name };
  };
  const identities = {
    admin: await identity('admin', ['Administrator']),
    operator: await identity('operator', ['Operator']),
    reader: await identity('reader', ['Reader']),
    custom: await identity('custom', [customRole]),
  };
  const grant = async (who: { id: number; name: string }, body: Record<string, unknown> = {}) => {
    const res = must(
      `grant to ${who.name}`,
      await call('POST', `/api/v1/apptoken/grant/${who.id}`, rootHeaders, body),
    );
    return { id: res.body.id as number, token: res.body.token as string };
  };

  const admin = await grant(identities.admin);
  const operator = await grant(identities.operator);
  const reader = await grant(identities.reader);
  const custom = await grant(identities.custom);

  const pat = must(
    'personal token',
    await call('POST', '/api/v1/PersonalTokens', bearer(operator.token), { name: `pat-${suffix}` }),
  ).body as { id: number; token: string };
  const patJwt = must(
    'personal token authentication',
    await call(
      'POST',
      `/api/v1/PersonalTokens/authenticate?username=${encodeURIComponent(identities.operator.name)}&personalToken=${encodeURIComponent(pat.token)}`,
      {},
    ),
  ).body.token as string;

  interface V4 {
    accessTokenId: number;
    accessToken: string;
    refreshToken: string;
  }
  const v4 = async (tokenType: string, extra: Record<string, unknown> = {}): Promise<V4> =>
    must(
      `v4 ${tokenType} token`,
      await call(
        'POST',
        '/api/v4/accesstoken',
        { authtoken: operator.token },
        { tokenName: `fz-${tokenType}`, tokenType, ...extra },
      ),
    ).body.tokenInfo as V4;
  const v4Default = await v4('DEFAULT');
  const v4All = await v4('ALL');
  const v4Custom = await v4('CUSTOM', { apiEndpoints: ['GET /api/v1/me', 'GET /api/v1/identity/*'] });
  const v4Scim = await v4('MS_SCIM');
  const v4OneTouch = await v4('OneTouch');

  const delegated = must(
    'token exchange',
    await call('POST', '/api/v1/token/exchange', bearer(admin.token), {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: reader.token,
    }),
  ).body.access_token as string;

  let sessionUser = options.session;
  if (!sessionUser) {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const made = await identity('session', ['Administrator'], password);
    sessionUser = { username: made.name, password };
  }
  const session = await signIn(sessionUser.username, sessionUser.password);
  const sessionIdentity = { id: session.identityId, name: sessionUser.username };
  const sessionHeaders = { cookie: `tw_session=${session.secret}; tw_csrf=${session.csrf}` };
  const sessions = must('session list', await call('GET', '/api/v1/usersession', sessionHeaders)).body
    .items as Array<{ id: number; current: boolean }>;
  const sessionId = sessions.find((x) => x.current)?.id ?? null;

  // Both stale tokens worked before they went stale: only revocation and expiry refuse them.
  const revoked = await grant(identities.admin);
  must('revoked token works first', await call('GET', '/api/v1/me', bearer(revoked.token)));
  must('revocation', await call('DELETE', `/api/v1/apptoken/${revoked.id}`, rootHeaders));
  const expired = await grant(identities.admin, {
    expiration: new Date(options.now() + 60_000).toISOString(),
  });
  must('expiring token works first', await call('GET', '/api/v1/me', bearer(expired.token)));
  options.advanceClock(61_000);

  const malformed = `tw_app_${'!'.repeat(12)}not-a-token`;

  const make = (
    kind: CallerKind,
    headers: Record<string, string>,
    secrets: string[],
    identityId: number | null,
    tokenId: number | null,
    live: boolean,
    sessionIdOf: number | null = null,
  ): Caller => ({ kind, headers, secrets, identityId, tokenId, sessionId: sessionIdOf, live });
  const callers: Record<CallerKind, Caller> = {
    none: make('none', {}, [], null, null, false),
    admin: make('admin', bearer(admin.token), [admin.token], identities.admin.id, admin.id, true),
    operator: make(
      'operator',
      bearer(operator.token),
      [operator.token],
      identities.operator.id,
      operator.id,
      true,
    ),
    reader: make('reader', bearer(reader.token), [reader.token], identities.reader.id, reader.id, true),
    custom: make('custom', bearer(custom.token), [custom.token], identities.custom.id, custom.id, true),
    pat: make('pat', bearer(pat.token), [pat.token], identities.operator.id, pat.id, true),
    'pat-jwt': make('pat-jwt', bearer(patJwt), [patJwt], identities.operator.id, null, true),
    'v4-default': make(
      'v4-default',
      { authtoken: v4Default.accessToken },
      [v4Default.accessToken],
      identities.operator.id,
      v4Default.accessTokenId,
      true,
    ),
    'v4-all': make(
      'v4-all',
      { authtoken: v4All.accessToken },
      [v4All.accessToken],
      identities.operator.id,
      v4All.accessTokenId,
      true,
    ),
    'v4-custom': make(
      'v4-custom',
      { authtoken: v4Custom.accessToken },
      [v4Custom.accessToken],
      identities.operator.id,
      v4Custom.accessTokenId,
      true,
    ),
    'v4-scim': make(
      'v4-scim',
      { authtoken: v4Scim.accessToken },
      [v4Scim.accessToken],
      identities.operator.id,
      v4Scim.accessTokenId,
      true,
    ),
    'v4-onetouch': make(
      'v4-onetouch',
      { authtoken: v4OneTouch.accessToken },
      [v4OneTouch.accessToken],
      identities.operator.id,
      v4OneTouch.accessTokenId,
      true,
    ),
    'v4-refresh': make(
      'v4-refresh',
      { authtoken: v4Default.refreshToken },
      [v4Default.refreshToken],
      identities.operator.id,
      null,
      false,
    ),
    delegated: make('delegated', bearer(delegated), [delegated], identities.reader.id, null, true),
    'session-csrf': make(
      'session-csrf',
      { ...sessionHeaders, 'x-csrf-token': session.csrf },
      [session.secret, session.csrf],
      sessionIdentity.id,
      null,
      true,
      sessionId,
    ),
    'session-no-csrf': make(
      'session-no-csrf',
      sessionHeaders,
      [session.secret, session.csrf],
      sessionIdentity.id,
      null,
      true,
      sessionId,
    ),
    revoked: make('revoked', bearer(revoked.token), [revoked.token], identities.admin.id, revoked.id, false),
    expired: make('expired', bearer(expired.token), [expired.token], identities.admin.id, expired.id, false),
    malformed: make('malformed', bearer(malformed), [malformed], null, null, false),
  };

  const secrets = new Map<string, string>([
    [root, 'root'],
    [admin.token, 'admin'],
    [operator.token, 'operator'],
    [reader.token, 'reader'],
    [custom.token, 'custom'],
    [pat.token, 'pat'],
    [patJwt, 'pat-jwt'],
    [v4Default.accessToken, 'v4-default'],
    [v4Default.refreshToken, 'v4-default.refreshToken'],
    [v4All.accessToken, 'v4-all'],
    [v4All.refreshToken, 'v4-all.refreshToken'],
    [v4Custom.accessToken, 'v4-custom'],
    [v4Custom.refreshToken, 'v4-custom.refreshToken'],
    [v4Scim.accessToken, 'v4-scim'],
    [v4OneTouch.accessToken, 'v4-onetouch'],
    [delegated, 'delegated'],
    [session.secret, 'session.secret'],
    [session.csrf, 'session.csrf'],
    [revoked.token, 'revoked'],
    [expired.token, 'expired'],
    [malformed, 'malformed'],
  ]);
  // Opaque seed-004 types have no refresh token (an empty string).
  secrets.delete('');

  return {
    callers,
    list: CALLER_KINDS.map((k) => callers[k]),
    secrets,
    identities: { ...identities, session: sessionIdentity },
    customRole,
    sessionUser,
    root,
  };
}

/**
 * Replaces the single-use (`v4-onetouch`) caller, spent once used, with a fresh one minted by the
 * Operator caller; returns the new value (the set's `secrets` forget the old one). Throws when
 * the Operator caller can no longer mint.
 */
export async function renewSingleUse(app: App, set: CallerSet, remoteAddress = '127.0.0.1'): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v4/accesstoken',
    remoteAddress,
    headers: { ...set.callers.operator.headers, 'content-type': 'application/json' },
    payload: JSON.stringify({ tokenName: 'fz-OneTouch', tokenType: 'OneTouch' }),
  });
  if (res.statusCode !== 200) {
    throw new Error(`renewing the single-use caller: HTTP ${res.statusCode} ${res.body.slice(0, 300)}`);
  }
  const info = JSON.parse(res.body).tokenInfo as { accessTokenId: number; accessToken: string };
  const old = set.callers['v4-onetouch'];
  for (const value of old.secrets) set.secrets.delete(value);
  const renewed: Caller = {
    ...old,
    headers: { authtoken: info.accessToken },
    secrets: [info.accessToken],
    tokenId: info.accessTokenId,
  };
  set.callers['v4-onetouch'] = renewed;
  set.list = CALLER_KINDS.map((k) => set.callers[k]);
  set.secrets.set(info.accessToken, 'v4-onetouch');
  return info.accessToken;
}
