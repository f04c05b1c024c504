import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/app.js';
import { ADMIN_PASSWORD, DIALECTS, freshStore, type StoreHandle, testConfig } from '../helpers.js';
import {
  ALL,
  and,
  BUILTIN,
  type Cred,
  ENDPOINT_LISTS,
  type Identity,
  Model,
  type Perms,
  subset,
  UNIVERSE,
} from './model.js';

/*
 * Issue 12 item 10(a): no credential ever does or mints more than its holder.
 *
 * Random sequences of every operation that mints or changes a credential (grant, grant-any,
 * import, personal tokens and their authentication, seed-004 tokens of every type, refresh,
 * exchange, PATCH with random columns, revocation, role and identity changes, sign-in), made by
 * random callers of every kind (app, personal, CUSTOM, MS_SCIM, OneTouch, access JWT, refresh,
 * delegated, cookie with and without CSRF; live and dead), with time passing in between. After
 * each step every credential the step created or touched is probed on a set of routes and
 * gateway checks; at the end of a sequence every credential is. Every answer the server gives
 * must be one the reference model (./model.ts) allows that credential's holder: what a
 * credential was refused is never checked against the model (refusing more is allowed), what it
 * was granted always is. Liveness is checked both ways on /me, so the test cannot pass by
 * refusing everything.
 *
 * In-process (app.inject) for speed. TOKENWARD_PROPERTY_RUNS (default 80 sequences of 20–40
 * steps: over 2 000 steps) and TOKENWARD_PROPERTY_SEED reproduce a run; `npm run test:property
 * -- --runs N` runs more. The seed is printed first.
 */

const RUNS = Number(process.env.TOKENWARD_PROPERTY_RUNS ?? 80);
const SEED = Number(process.env.TOKENWARD_PROPERTY_SEED ?? (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0);
const MIN_STEPS = Number(process.env.TOKENWARD_PROPERTY_MIN_STEPS ?? (RUNS >= 80 ? 2000 : 0));
const MINUTE = 60_000;

type Json = Record<string, unknown> & { [k: string]: unknown };
interface Answer {
  status: number;
  body: Json;
}

const ROLE_CHOICES = ['Administrator', 'Operator', 'Reader', 'c1', 'c2'] as const;
const SCOPES = ['', 'Reader', 'Operator', 'billing:read', 'tokens:read', 'Reader billing:write'] as const;
const V4_TYPES = ['DEFAULT', 'ALL', 'CUSTOM', 'MS_SCIM', 'OneTouch'] as const;
const PATCH_KEYS = [
  'name',
  'description',
  'identity_id',
  'roles',
  'revoked',
  'revoked_at_ms',
  'expires_at_ms',
  'token_hash',
  'ceiling',
  'kind',
  'foo',
  'Name',
] as const;

type Op =
  | { t: 'grant'; caller: number; target: number | null; roles: number[]; endpoints: number | null }
  | { t: 'import'; caller: number; target: number | null; roles: number[] }
  | { t: 'pat'; caller: number }
  | { t: 'patAuth'; pat: number }
  | { t: 'v4'; caller: number; type: number; endpoints: number }
  | { t: 'refresh'; refresh: number }
  | { t: 'exchange'; actor: number | null; subject: number; scope: number }
  | { t: 'patch'; caller: number; token: number; body: Record<string, unknown> }
  | { t: 'revoke'; caller: number; token: number }
  | { t: 'revokeRfc'; token: number }
  | { t: 'roles'; caller: number; target: number; roles: number[] }
  | { t: 'enable'; target: number; enabled: boolean }
  | { t: 'role'; caller: number; role: number; perms: number[] }
  | { t: 'signin'; target: number }
  | { t: 'time'; ms: number };

const pick = fc.nat(1000);
const rolesArb = fc.uniqueArray(fc.nat(ROLE_CHOICES.length - 1), { maxLength: 3 });
const permsArb = fc.uniqueArray(fc.nat(UNIVERSE.length - 1), { maxLength: 8 });
const patchValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.constant('["Administrator"]'),
  fc.constant(1),
  fc.constant(0),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('grant' as const),
      caller: pick,
      target: fc.option(pick),
      roles: rolesArb,
      endpoints: fc.option(fc.nat(ENDPOINT_LISTS.length - 1)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('import' as const),
      caller: pick,
      target: fc.option(pick),
      roles: rolesArb,
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('pat' as const), caller: pick }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('patAuth' as const), pat: pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('v4' as const),
      caller: pick,
      type: fc.nat(V4_TYPES.length - 1),
      endpoints: fc.nat(ENDPOINT_LISTS.length - 1),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('refresh' as const), refresh: pick }) },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('exchange' as const),
      actor: fc.option(pick, { freq: 6 }),
      subject: pick,
      scope: fc.nat(SCOPES.length - 1),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('patch' as const),
      caller: pick,
      token: pick,
      body: fc.dictionary(fc.constantFrom(...PATCH_KEYS), patchValue, { minKeys: 1, maxKeys: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('revoke' as const), caller: pick, token: pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('revokeRfc' as const), token: pick }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('roles' as const), caller: pick, target: pick, roles: rolesArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('enable' as const), target: pick, enabled: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('role' as const), caller: pick, role: fc.nat(1), perms: permsArb }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('signin' as const), target: pick }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40 * MINUTE }) }),
  },
);
const worldArb = fc.record({
  c1: permsArb,
  c2: permsArb,
  identities: fc.array(rolesArb, { minLength: 3, maxLength: 4 }),
});

/** A credential as the test holds it: the model's entry plus how to present it. */
interface Held extends Cred {
  value: string;
  /** Session: the CSRF token it sends on writes, or null for a cookie sent without it. */
  csrf: string | null;
  tokenId: number | null;
  /** Sessions: last request, for the idle timeout. */
  lastSeenMs: number;
  sessionEndMs: number;
}

const decodeExp = (jwt: string): number =>
  (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number }).exp *
  1000;

for (const dialect of DIALECTS) {
  describe(`one authority: credentials never do or mint more than their holder [${dialect}]`, () => {
    let store: StoreHandle;
    let app: App;
    let now = Date.UTC(2026, 11, 2);
    let harness: string;
    let adminCookie: string;
    let adminCsrf: string;
    let runNumber = 0;

    beforeAll(async () => {
      store = freshStore(dialect);
      app = await buildApp({
        config: testConfig(store, { logLevel: 'warn', signinMaxAttempts: 1000 }),
        clock: () => now,
        fastPaths: false,
      });
      await app.ready();
      const signin = await app.inject({
        method: 'POST',
        url: '/api/v1/signin',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      adminCookie = signin.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      adminCsrf = signin.json().csrfToken;
      harness = await grantFromSession();
    });
    afterAll(async () => {
      await app?.close();
      await store?.drop();
    });

    async function call(
      method: string,
      url: string,
      opts: { headers?: Record<string, string>; json?: unknown; form?: Record<string, string> } = {},
    ): Promise<Answer> {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      let payload: string | undefined;
      if (opts.json !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(opts.json);
      }
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      let body: Json = {};
      try {
        body = res.body ? (JSON.parse(res.body) as Json) : {};
      } catch {
        body = {};
      }
      return { status: res.statusCode, body };
    }

    async function grantFromSession(): Promise<string> {
      const res = await call('POST', '/api/v1/apptoken/grant', {
        headers: { cookie: adminCookie, 'x-csrf-token': adminCsrf },
        json: {},
      });
      if (res.status !== 200) throw new Error(`harness grant: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    }

    const asHarness = { authorization: `Bearer ${'pending'}` };

    function headersOf(c: Held | null, write: boolean): Record<string, string> {
      if (c === null) return {};
      if (c.kind === 'session') {
        return { cookie: `tw_session=${c.value}`, ...(write && c.csrf ? { 'x-csrf-token': c.csrf } : {}) };
      }
      return { authorization: `Bearer ${c.value}` };
    }

    it(
      'every answer to every credential is within what the model allows its holder',
      async () => {
        asHarness.authorization = `Bearer ${harness}`;
        // The seed must be visible to reproduce a run.
        console.log(`[property ${dialect}] TOKENWARD_PROPERTY_SEED=${SEED} TOKENWARD_PROPERTY_RUNS=${RUNS}`);
        let steps = 0;
        const stats = { allowed: 0, refused: 0, probes: 0, mints: 0 };

        await fc.assert(
          fc.asyncProperty(
            worldArb,
            fc.array(opArb, { minLength: 20, maxLength: 40 }),
            async (worldSpec, ops) => {
              const run = ++runNumber;
              const model = new Model(now);
              const creds = model.creds as Held[];
              const trail: string[] = [];
              const fail = (message: string): never => {
                throw new Error(`${message}\n  steps so far:\n    ${trail.join('\n    ')}`);
              };

              // The world: two custom roles, a few identities (one with a password), an
              // administrator's app token (minted from a session: it may do everything) and an
              // app token of each identity, granted by the harness administrator.
              const roleName = (i: number) => `c${i + 1}-${dialect}-${run}`;
              const roleNames = [roleName(0), roleName(1)];
              const realRole = (choice: string) =>
                choice === 'c1' ? roleNames[0]! : choice === 'c2' ? roleNames[1]! : choice;
              for (const [i, spec] of [worldSpec.c1, worldSpec.c2].entries()) {
                const permissions = spec.map((p) => UNIVERSE[p]!);
                const res = await call('POST', '/api/v1/role', {
                  headers: asHarness,
                  json: { name: roleNames[i], permissions },
                });
                if (res.status !== 201) fail(`role create: ${res.status} ${JSON.stringify(res.body)}`);
                model.custom.set(roleNames[i]!.toLowerCase(), new Set(permissions));
              }
              const admin: Identity = {
                id: 1,
                name: 'admin',
                roles: ['Administrator'],
                enabled: true,
                password: ADMIN_PASSWORD,
              };
              model.identities.set(1, admin);
              const ids: number[] = [];
              for (const [i, spec] of worldSpec.identities.entries()) {
                const roles = [...new Set(spec.map((r) => realRole(ROLE_CHOICES[r]!)))];
                const password = i === 0 ? `pw-${randomBytes(6).toString('hex')}` : null;
                const name = `p${run}-${dialect}-${i}`;
                const res = await call('POST', '/api/v1/identity', {
                  headers: asHarness,
                  json: { name, roles, ...(password ? { password } : {}) },
                });
                if (res.status !== 201) fail(`identity create: ${res.status} ${JSON.stringify(res.body)}`);
                const id = res.body.id as number;
                ids.push(id);
                model.identities.set(id, { id, name, roles, enabled: true, password });
              }
              const root = model.add({
                kind: 'app',
                label: 'root admin app token',
                identity: 1,
                roles: ['Administrator'],
                bound: ALL,
                endpoints: [],
                singleUse: false,
                spent: false,
                revoked: false,
                expiresAtMs: now + 365 * 86_400_000,
                parents: [],
                family: null,
                rotated: false,
              }) as Held;
              const rootGrant = await call('POST', '/api/v1/apptoken/grant', {
                headers: asHarness,
                json: {},
              });
              if (rootGrant.status !== 200)
                fail(`root grant: ${rootGrant.status} ${JSON.stringify(rootGrant.body)}`);
              Object.assign(root, {
                value: rootGrant.body.token,
                csrf: null,
                tokenId: rootGrant.body.id,
                lastSeenMs: now,
                sessionEndMs: 0,
              });
              for (const id of ids) {
                const res = await call('POST', `/api/v1/apptoken/grant/${id}`, {
                  headers: asHarness,
                  json: {},
                });
                if (res.status !== 200) continue; // an identity without roles gets no token
                addToken(res, 'app', `app token of ${id}`, id, ALL, [], []);
              }

              function addToken(
                res: Answer,
                kind: Cred['kind'],
                label: string,
                identity: number,
                bound: Perms,
                endpoints: Cred['endpoints'],
                parents: number[],
                extra: Partial<Held> = {},
              ): Held {
                const body = res.body;
                const value = (extra.value ?? body.token) as string;
                const cred = model.add({
                  kind,
                  label,
                  identity,
                  // The roles asked for, when some were (the answer's `roles` are only those held
                  // in full, fewer than what a narrowed token may use): else none known.
                  roles: null,
                  bound,
                  endpoints,
                  singleUse: false,
                  spent: false,
                  revoked: false,
                  expiresAtMs:
                    extra.expiresAtMs ??
                    (body.expiration ? Date.parse(body.expiration as string) : decodeExp(value)),
                  parents,
                  family: null,
                  rotated: false,
                  ...extra,
                }) as Held;
                Object.assign(cred, {
                  value,
                  csrf: null,
                  tokenId: (extra.tokenId ?? body.id ?? null) as number | null,
                  lastSeenMs: now,
                  sessionEndMs: 0,
                });
                stats.mints++;
                return cred;
              }

              const credAt = (n: number): Held => creds[n % creds.length]!;
              const identityAt = (n: number): Identity => model.identities.get(ids[n % ids.length]!)!;
              const parentsOf = (c: Held | null) => (c && c.kind !== 'session' ? [c.n] : []);
              const endpointsOf = (c: Held | null) => (c ? c.endpoints : []);

              /** Whether the request may even reach the route: a live credential, inside its allow-list, CSRF for cookie writes. */
              const admitted = (c: Held | null, method: string, path: string): boolean => {
                if (c === null) return false;
                if (!model.live(c)) return false;
                if (c.kind === 'session' && method !== 'GET' && !c.csrf) return false;
                return model.endpointAllowed(c, method, path.split('?')[0]!);
              };

              /** After a request presented `c`: a single-use token is spent, a session seen. */
              const presented = (c: Held | null) => {
                if (!c || !model.live(c)) return;
                if (c.singleUse) c.spent = true;
                if (c.kind === 'session') {
                  c.lastSeenMs = model.now;
                  c.expiresAtMs = Math.min(c.sessionEndMs, model.now + 60 * MINUTE);
                }
              };

              const expectModel = (ok: boolean, what: string) => {
                if (!ok) fail(`the server allowed what the model does not: ${what}`);
              };

              const probes: Array<{
                path: string;
                method?: string;
                need: (c: Held) => string[] | null;
                original?: [string, string];
              }> = [
                { path: '/api/v1/me', need: () => [] },
                { path: '/api/v1/apptoken', need: () => ['tokens:read'] },
                {
                  path: '/api/v1/apptoken?identity=1',
                  need: (c) => (c.identity === 1 ? ['tokens:read'] : ['tokens:read', 'tokens:read-any']),
                },
                { path: '/api/v1/identity', need: () => ['identities:read'] },
                { path: '/api/v1/audit?limit=1', need: () => ['audit:read'] },
                { path: '/api/v1/keys', need: () => ['keys:rotate'] },
                {
                  path: '/api/v1/usersession?identityId=1',
                  need: (c) => (c.identity === 1 ? [] : ['sessions:read']),
                },
                {
                  path: '/api/v1/auth/verify?permission=billing:write',
                  need: () => ['billing:write'],
                  original: ['GET', '/api/v1/apptoken'],
                },
                {
                  path: '/api/v1/auth/verify?permission=billing:read',
                  need: () => ['billing:read'],
                  original: ['GET', '/scim/v2/Users'],
                },
                {
                  path: '/api/v1/auth/verify?permission=tokens:exchange',
                  need: () => ['tokens:exchange'],
                  original: ['POST', '/api/v1/identity'],
                },
                { path: '/api/v1/auth/verify', need: () => [], original: ['GET', '/api/v1/identity/7'] },
              ];

              /** Probes one credential; every 2xx must be allowed by the model; /me both ways. */
              async function probe(c: Held): Promise<void> {
                for (const p of probes) {
                  const liveBefore = model.live(c);
                  const nearEdge = Math.abs(c.expiresAtMs - model.now) < 10_000;
                  const headers = headersOf(c, false);
                  if (p.original) {
                    headers['x-original-method'] = p.original[0];
                    headers['x-original-uri'] = p.original[1];
                  }
                  const res = await call(p.method ?? 'GET', p.path, { headers });
                  stats.probes++;
                  const path = p.original ? p.original[1] : p.path.split('?')[0]!;
                  const method = p.original ? p.original[0] : 'GET';
                  const may =
                    liveBefore &&
                    model.endpointAllowed(c, method, path) &&
                    (p.need(c) ?? []).every((perm) => model.may(c, perm));
                  if (res.status < 300) {
                    stats.allowed++;
                    expectModel(
                      may,
                      `${c.label} (#${c.n}) got ${res.status} on ${method} ${p.path}${p.original ? ` for ${p.original.join(' ')}` : ''}; model: live=${liveBefore}, effective=[${[...model.effective(c)].join(',')}]`,
                    );
                    if (p.path === '/api/v1/me') {
                      const id = (res.body.identity as { id?: number } | undefined)?.id;
                      if (id !== c.identity)
                        fail(`${c.label} (#${c.n}) speaks for identity ${id}, not ${c.identity}`);
                    }
                  } else {
                    stats.refused++;
                    if (p.path === '/api/v1/me' && may && !nearEdge && !c.singleUse) {
                      fail(
                        `${c.label} (#${c.n}) is live in the model but /me answered ${res.status} ${JSON.stringify(res.body)}`,
                      );
                    }
                  }
                  presented(c);
                }
              }

              /** Checks a minting answer against the model and, when it minted, its roles. */
              const minted = (
                res: Answer,
                allowed: boolean,
                what: string,
                identity: number,
                asked: string[] | null,
                bound: Perms,
              ) => {
                if (res.status >= 300) return false;
                expectModel(allowed, what);
                const roles = (res.body.roles as string[] | undefined) ?? [];
                const held = model.identityPerms(identity);
                for (const r of roles) {
                  if (!subset(model.permsOfRoles([r]), held))
                    fail(`${what}: the token carries ${r}, which identity ${identity} does not hold`);
                }
                if (asked && asked.length > 0 && !subset(model.permsOfRoles(asked), bound)) {
                  fail(
                    `${what}: roles ${asked} were asked and granted beyond the caller's [${[...bound].join(',')}]`,
                  );
                }
                return true;
              };

              for (const op of ops) {
                steps++;
                model.now = now;
                const touched: Held[] = [];
                trail.push(JSON.stringify(op));
                switch (op.t) {
                  case 'time': {
                    now += op.ms;
                    model.now = now;
                    break;
                  }
                  case 'grant': {
                    const c = credAt(op.caller);
                    const target =
                      op.target === null ? model.identities.get(c.identity)! : identityAt(op.target);
                    const self = target.id === c.identity;
                    const path = self ? '/api/v1/apptoken/grant' : `/api/v1/apptoken/grant/${target.id}`;
                    const roles = [...new Set(op.roles.map((r) => realRole(ROLE_CHOICES[r]!)))];
                    const endpoints = op.endpoints === null ? null : ENDPOINT_LISTS[op.endpoints]!;
                    const res = await call('POST', path, {
                      headers: headersOf(c, true),
                      json: {
                        ...(roles.length ? { role: roles } : {}),
                        ...(endpoints ? { apiEndpoints: endpoints } : {}),
                      },
                    });
                    const eff = model.effective(c);
                    const allowed =
                      admitted(c, 'POST', path) &&
                      !c.singleUse &&
                      target.enabled &&
                      (self
                        ? eff.has('tokens:grant') || eff.has('tokens:grant-any')
                        : eff.has('tokens:grant-any'));
                    presented(c);
                    if (
                      minted(
                        res,
                        allowed,
                        `${c.label} granted an app token to ${target.id}`,
                        target.id,
                        roles,
                        eff,
                      )
                    ) {
                      touched.push(
                        addToken(
                          res,
                          'app',
                          `app token of ${target.id} from #${c.n}`,
                          target.id,
                          eff,
                          [...endpointsOf(c), ...(endpoints ? [endpoints] : [])],
                          parentsOf(c),
                          { roles: roles.length > 0 ? roles : null },
                        ),
                      );
                    }
                    touched.push(c);
                    break;
                  }
                  case 'import': {
                    const c = credAt(op.caller);
                    const target =
                      op.target === null ? model.identities.get(c.identity)! : identityAt(op.target);
                    const self = target.id === c.identity;
                    const roles = [...new Set(op.roles.map((r) => realRole(ROLE_CHOICES[r]!)))];
                    const value = `imported-${randomBytes(24).toString('base64url')}`;
                    const res = await call('POST', '/api/v1/apptoken', {
                      headers: headersOf(c, true),
                      json: {
                        Token: value,
                        Identity: { Id: target.id },
                        ...(roles.length ? { Role: roles } : {}),
                      },
                    });
                    const eff = model.effective(c);
                    const allowed =
                      admitted(c, 'POST', '/api/v1/apptoken') &&
                      !c.singleUse &&
                      target.enabled &&
                      eff.has('tokens:import') &&
                      (self || eff.has('tokens:grant-any'));
                    presented(c);
                    if (
                      minted(
                        res,
                        allowed,
                        `${c.label} imported a token for ${target.id}`,
                        target.id,
                        roles,
                        eff,
                      )
                    ) {
                      touched.push(
                        addToken(
                          res,
                          'app',
                          `imported token of ${target.id} from #${c.n}`,
                          target.id,
                          eff,
                          endpointsOf(c),
                          parentsOf(c),
                          { value, roles: roles.length > 0 ? roles : null },
                        ),
                      );
                    }
                    touched.push(c);
                    break;
                  }
                  case 'pat': {
                    const c = credAt(op.caller);
                    const res = await call('POST', '/api/v1/PersonalTokens', {
                      headers: headersOf(c, true),
                      json: { name: `pat-${steps}` },
                    });
                    const eff = model.effective(c);
                    const allowed = admitted(c, 'POST', '/api/v1/PersonalTokens') && !c.singleUse;
                    presented(c);
                    if (minted(res, allowed, `${c.label} created a personal token`, c.identity, null, eff)) {
                      touched.push(
                        addToken(
                          res,
                          'personal',
                          `PAT of ${c.identity} from #${c.n}`,
                          c.identity,
                          eff,
                          endpointsOf(c),
                          parentsOf(c),
                        ),
                      );
                    }
                    touched.push(c);
                    break;
                  }
                  case 'patAuth': {
                    const pats = creds.filter((x) => x.kind === 'personal');
                    if (pats.length === 0) break;
                    const p = pats[op.pat % pats.length]!;
                    const identity = model.identities.get(p.identity)!;
                    const url = `/api/v1/PersonalTokens/authenticate?username=${encodeURIComponent(identity.name)}&personalToken=${encodeURIComponent(p.value)}`;
                    const res = await call('POST', url);
                    const eff = model.effective(p);
                    const allowed = model.live(p) && !p.singleUse;
                    if (
                      minted(
                        res,
                        allowed,
                        `${p.label} was exchanged for an access token`,
                        p.identity,
                        null,
                        eff,
                      )
                    ) {
                      touched.push(
                        addToken(
                          { status: 200, body: { token: res.body.token } },
                          'access',
                          `PAT JWT of ${p.identity} from #${p.n}`,
                          p.identity,
                          eff,
                          p.endpoints,
                          [p.n],
                        ),
                      );
                    }
                    touched.push(p);
                    break;
                  }
                  case 'v4': {
                    const c = credAt(op.caller);
                    const type = V4_TYPES[op.type]!;
                    const list = ENDPOINT_LISTS[op.endpoints]!;
                    const res = await call('POST', '/api/v4/accesstoken', {
                      headers: c.kind === 'session' ? headersOf(c, true) : { authtoken: c.value },
                      json: {
                        tokenName: `v4-${steps}`,
                        tokenType: type,
                        ...(type === 'CUSTOM' ? { apiEndpoints: list } : {}),
                      },
                    });
                    const eff = model.effective(c);
                    const allowed =
                      admitted(c, 'POST', '/api/v4/accesstoken') && !c.singleUse && eff.has('tokens:grant');
                    presented(c);
                    if (res.status < 300) {
                      expectModel(allowed, `${c.label} made a ${type} token`);
                      const info = res.body.tokenInfo as Record<string, unknown>;
                      const lists = [
                        ...endpointsOf(c),
                        ...(type === 'CUSTOM' ? [list] : type === 'MS_SCIM' ? [['* /scim/v2/*']] : []),
                      ];
                      if (type === 'MS_SCIM' || type === 'OneTouch') {
                        touched.push(
                          addToken(
                            { status: 200, body: { token: info.accessToken } },
                            'access',
                            `${type} of ${c.identity} from #${c.n}`,
                            c.identity,
                            eff,
                            lists,
                            parentsOf(c),
                            {
                              singleUse: type === 'OneTouch',
                              expiresAtMs: (info.tokenExpiryTimestamp as number) * 1000,
                              tokenId: info.accessTokenId as number,
                            },
                          ),
                        );
                      } else {
                        const refresh = addToken(
                          { status: 200, body: { token: info.refreshToken } },
                          'refresh',
                          `${type} refresh of ${c.identity} from #${c.n}`,
                          c.identity,
                          eff,
                          lists,
                          parentsOf(c),
                          {
                            expiresAtMs: (info.refreshTokenExpiryTimestamp as number) * 1000,
                            tokenId: info.accessTokenId as number,
                          },
                        );
                        touched.push(
                          addToken(
                            { status: 200, body: { token: info.accessToken } },
                            'access',
                            `${type} JWT of ${c.identity} from #${c.n}`,
                            c.identity,
                            eff,
                            lists,
                            [refresh.n],
                            { family: refresh.n },
                          ),
                          refresh,
                        );
                      }
                    }
                    touched.push(c);
                    break;
                  }
                  case 'refresh': {
                    const refreshes = creds.filter((x) => x.kind === 'refresh');
                    if (refreshes.length === 0) break;
                    const r = refreshes[op.refresh % refreshes.length]!;
                    const res = await call('POST', '/api/v1/token/refresh', {
                      json: { refresh_token: r.value },
                    });
                    const identity = model.identities.get(r.identity)!;
                    // The server spends a refresh token that is neither revoked nor expired before it
                    // looks further; spending a spent one is a replay, and revokes the whole family.
                    const spendable = !r.revoked && r.expiresAtMs > model.now;
                    const root = r.family === null ? r : creds[r.family]!;
                    if (spendable && r.rotated) {
                      if (res.status < 300) fail(`${r.label} (#${r.n}) was used twice and still rotated`);
                      model.revoke(root);
                    } else if (res.status < 300) {
                      expectModel(spendable && identity.enabled, `${r.label} rotated`);
                      const eff = and(
                        and(r.roles ? model.permsOfRoles(r.roles) : ALL, model.identityPerms(r.identity)),
                        r.bound,
                      );
                      const next = addToken(
                        { status: 200, body: { token: res.body.refresh_token } },
                        'refresh',
                        `rotated ${r.label}`,
                        r.identity,
                        eff,
                        r.endpoints,
                        [r.n],
                        {
                          expiresAtMs: (res.body.refreshTokenExpiryTimestamp as number) * 1000,
                          family: root.n,
                        },
                      );
                      touched.push(
                        addToken(
                          { status: 200, body: { token: res.body.access_token } },
                          'access',
                          `JWT of rotated ${r.label}`,
                          r.identity,
                          eff,
                          r.endpoints,
                          [next.n],
                          { family: root.n },
                        ),
                        next,
                      );
                    }
                    if (spendable) r.rotated = true;
                    touched.push(r);
                    break;
                  }
                  case 'exchange': {
                    const a = op.actor === null ? null : credAt(op.actor);
                    const s = credAt(op.subject);
                    const scope = SCOPES[op.scope]!;
                    const res = await call('POST', '/api/v1/token/exchange', {
                      headers: headersOf(a, true),
                      json: {
                        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
                        subject_token: s.kind === 'session' ? 'not-a-token' : s.value,
                        ...(scope ? { scope } : {}),
                      },
                    });
                    // The actor is authenticated like any caller (a single-use one is spent); the
                    // subject is only looked at (a single-use subject is refused, not spent).
                    presented(a);
                    const effA = a ? model.effective(a) : new Set<string>();
                    const effS = model.effective(s);
                    const other = a !== null && a.identity !== s.identity;
                    const bound = and(effA, effS);
                    const scopePerms = new Set<string>();
                    for (const item of scope.split(' ').filter(Boolean)) {
                      for (const p of item.includes(':') ? [item] : [...model.permsOfRoles([item])])
                        scopePerms.add(p);
                    }
                    const allowed =
                      admitted(a, 'POST', '/api/v1/token/exchange') &&
                      !a!.singleUse &&
                      model.live(s) &&
                      !s.singleUse &&
                      s.kind !== 'session' &&
                      (!other || effA.has('tokens:exchange'));
                    const narrowed = scope ? and(bound, scopePerms) : bound;
                    if (
                      minted(
                        res,
                        allowed,
                        `${a?.label ?? 'nobody'} exchanged ${s.label} (scope "${scope}")`,
                        s.identity,
                        null,
                        bound,
                      )
                    ) {
                      if (scope && !subset(scopePerms, bound))
                        fail(
                          `exchange granted scope "${scope}" beyond subject ∩ actor [${[...bound].join(',')}]`,
                        );
                      touched.push(
                        addToken(
                          { status: 200, body: { token: res.body.access_token } },
                          'access',
                          `delegated ${s.label} to ${a?.label}`,
                          s.identity,
                          narrowed,
                          [...s.endpoints, ...(a ? a.endpoints : [])],
                          [...parentsOf(s), ...parentsOf(a)],
                        ),
                      );
                    }
                    if (a) touched.push(a);
                    touched.push(s);
                    break;
                  }
                  case 'patch': {
                    const c = credAt(op.caller);
                    const tokens = creds.filter(
                      (x) => x.tokenId !== null && (x.kind === 'app' || x.kind === 'personal'),
                    );
                    if (tokens.length === 0) break;
                    const k = tokens[op.token % tokens.length]!;
                    const path =
                      k.kind === 'personal'
                        ? `/api/v1/PersonalTokens/${k.tokenId}`
                        : `/api/v1/apptoken/${k.tokenId}`;
                    const before = await call('GET', `/api/v1/apptoken/${k.tokenId}`, { headers: asHarness });
                    const res = await call('PATCH', path, { headers: headersOf(c, true), json: op.body });
                    const after = await call('GET', `/api/v1/apptoken/${k.tokenId}`, { headers: asHarness });
                    const eff = model.effective(c);
                    const own = k.identity === c.identity;
                    const onlyMeta = Object.keys(op.body).every(
                      (key) => key === 'name' || key === 'description',
                    );
                    const allowed =
                      admitted(c, 'PATCH', path) &&
                      onlyMeta &&
                      (k.kind === 'personal'
                        ? own
                        : eff.has('tokens:read') &&
                          (own
                            ? eff.has('tokens:grant')
                            : eff.has('tokens:read-any') && eff.has('tokens:grant-any')));
                    presented(c);
                    if (res.status < 300)
                      expectModel(allowed, `${c.label} patched ${k.label} with ${JSON.stringify(op.body)}`);
                    if (!onlyMeta && res.status !== 400 && res.status !== 401 && res.status !== 403) {
                      fail(`PATCH with ${JSON.stringify(op.body)} answered ${res.status}, not a 4xx refusal`);
                    }
                    // Nothing but the name and the description ever changes.
                    const strip = (b: Json) => {
                      const {
                        name: _n,
                        description: _d,
                        lastUsed: _l,
                        useCount: _u,
                        status: _s,
                        ...rest
                      } = b;
                      return rest;
                    };
                    if (JSON.stringify(strip(before.body)) !== JSON.stringify(strip(after.body))) {
                      fail(
                        `PATCH ${JSON.stringify(op.body)} by ${c.label} changed ${JSON.stringify(before.body)} into ${JSON.stringify(after.body)}`,
                      );
                    }
                    touched.push(c, k);
                    break;
                  }
                  case 'revoke': {
                    const c = credAt(op.caller);
                    const tokens = creds.filter((x) => x.tokenId !== null);
                    if (tokens.length === 0) break;
                    const k = tokens[op.token % tokens.length]!;
                    const path = `/api/v1/apptoken/${k.tokenId}`;
                    const res = await call('DELETE', path, { headers: headersOf(c, true) });
                    const eff = model.effective(c);
                    const own = k.identity === c.identity;
                    const allowed =
                      admitted(c, 'DELETE', path) &&
                      eff.has('tokens:read') &&
                      (own
                        ? eff.has('tokens:revoke')
                        : eff.has('tokens:read-any') && eff.has('tokens:revoke-any'));
                    presented(c);
                    if (res.status < 300) {
                      expectModel(allowed, `${c.label} revoked ${k.label}`);
                      model.revoke(k);
                    }
                    touched.push(c, k);
                    break;
                  }
                  case 'revokeRfc': {
                    const k = credAt(op.token);
                    if (k.kind === 'session') break;
                    const res = await call('POST', '/api/v1/token/revoke', { json: { token: k.value } });
                    if (res.status !== 200) fail(`RFC 7009 revocation answered ${res.status}`);
                    model.revoke(k);
                    touched.push(k);
                    break;
                  }
                  case 'roles': {
                    const c = credAt(op.caller);
                    const target = identityAt(op.target);
                    const roles = [...new Set(op.roles.map((r) => realRole(ROLE_CHOICES[r]!)))];
                    const path = `/api/v1/identity/${target.id}`;
                    const res = await call('PUT', path, { headers: headersOf(c, true), json: { roles } });
                    const eff = model.effective(c);
                    const added = roles.filter(
                      (r) => !target.roles.some((o) => o.toLowerCase() === r.toLowerCase()),
                    );
                    const allowed =
                      admitted(c, 'PUT', path) &&
                      eff.has('identities:write') &&
                      subset(model.permsOfRoles(added), eff);
                    presented(c);
                    if (res.status < 300) {
                      expectModel(allowed, `${c.label} gave identity ${target.id} the roles ${roles}`);
                      target.roles = roles;
                    }
                    touched.push(c, ...creds.filter((x) => x.identity === target.id).slice(-3));
                    break;
                  }
                  case 'enable': {
                    const target = identityAt(op.target);
                    const res = await call('PUT', `/api/v1/identity/${target.id}`, {
                      headers: asHarness,
                      json: { enabled: op.enabled },
                    });
                    if (res.status < 300) {
                      target.enabled = op.enabled;
                      // Disabling ends the identity's sessions for good.
                      if (!op.enabled)
                        for (const x of creds)
                          if (x.identity === target.id && x.kind === 'session') x.revoked = true;
                    }
                    touched.push(...creds.filter((x) => x.identity === target.id).slice(-3));
                    break;
                  }
                  case 'role': {
                    const c = credAt(op.caller);
                    const name = roleNames[op.role]!;
                    const permissions = op.perms.map((p) => UNIVERSE[p]!);
                    const path = `/api/v1/role/${name}`;
                    const res = await call('PUT', path, {
                      headers: headersOf(c, true),
                      json: { permissions },
                    });
                    const eff = model.effective(c);
                    const allowed =
                      admitted(c, 'PUT', path) && eff.has('roles:write') && subset(new Set(permissions), eff);
                    presented(c);
                    if (res.status < 300) {
                      expectModel(allowed, `${c.label} set role ${name} to ${permissions}`);
                      model.custom.set(name.toLowerCase(), new Set(permissions));
                    }
                    touched.push(c);
                    break;
                  }
                  case 'signin': {
                    const target = [...model.identities.values()].filter((i) => i.password && i.id !== 1);
                    if (target.length === 0) break;
                    const who = target[op.target % target.length]!;
                    const res = await app.inject({
                      method: 'POST',
                      url: '/api/v1/signin',
                      payload: { username: who.name, password: who.password },
                    });
                    if (res.statusCode !== 200) break;
                    expectModel(who.enabled, `a disabled identity ${who.id} signed in`);
                    const secret = res.cookies.find((x) => x.name === 'tw_session')!.value;
                    const csrf = (res.json() as { csrfToken: string }).csrfToken;
                    for (const withCsrf of [true, false]) {
                      const cred = model.add({
                        kind: 'session',
                        label: `session of ${who.id}${withCsrf ? '' : ' without CSRF'}`,
                        identity: who.id,
                        roles: [],
                        bound: ALL,
                        endpoints: [],
                        singleUse: false,
                        spent: false,
                        revoked: false,
                        expiresAtMs: model.now + 60 * MINUTE,
                        parents: [],
                        family: null,
                        rotated: false,
                      }) as Held;
                      Object.assign(cred, {
                        value: secret,
                        csrf: withCsrf ? csrf : null,
                        tokenId: null,
                        lastSeenMs: model.now,
                        sessionEndMs: model.now + 12 * 60 * MINUTE,
                      });
                      touched.push(cred);
                    }
                    break;
                  }
                }
                // A session's two entries are one session: keep their idle clocks together.
                for (const x of creds) {
                  if (x.kind !== 'session') continue;
                  const twin = creds.find((y) => y !== x && y.kind === 'session' && y.value === x.value);
                  if (twin && twin.lastSeenMs > x.lastSeenMs) {
                    x.lastSeenMs = twin.lastSeenMs;
                    x.expiresAtMs = twin.expiresAtMs;
                  }
                }
                for (const c of new Set(touched)) await probe(c);
              }
              for (const c of creds) await probe(c);
            },
          ),
          { numRuns: RUNS, seed: SEED, endOnFailure: process.env.CI === 'true' },
        );
        // The run's size is part of its evidence.
        console.log(
          `[property ${dialect}] ${steps} steps, ${stats.mints} credentials minted, ${stats.probes} probes (${stats.allowed} allowed, ${stats.refused} refused)`,
        );
        expect(steps).toBeGreaterThanOrEqual(MIN_STEPS);
        // The run means something only if credentials were both allowed and refused a good deal.
        expect(stats.allowed).toBeGreaterThan(stats.probes / 10);
        expect(stats.refused).toBeGreaterThan(stats.probes / 10);
      },
      30 * MINUTE,
    );
  });
}

// The model's own built-in roles are the ones the server documents; keep them honest too.
describe('the reference model', () => {
  it('has Administrator ⊇ Operator ⊇ Reader over its universe', () => {
    expect(subset(BUILTIN.Operator!, BUILTIN.Administrator!)).toBe(true);
    expect(subset(BUILTIN.Reader!, BUILTIN.Operator!)).toBe(true);
    expect(BUILTIN.Operator!.has('tokens:exchange')).toBe(false);
  });
});
