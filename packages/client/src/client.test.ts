import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freshStore, startServer, type TestServer } from '../../../apps/server/test/helpers.js';
import { TokenwardClient } from './client.js';
import { TokenwardError } from './errors.js';
import { ROUTES } from './routes.js';

const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
const routeKeys = new Set(Object.values(ROUTES).map((r) => key(r.method, r.path)));

describe('the client against the OpenAPI document of a running server', () => {
  let s: TestServer;
  let documented: Set<string>;

  beforeAll(async () => {
    s = await startServer(freshStore('sqlite'));
    const doc = (await (await fetch(`${s.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    documented = new Set();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) documented.add(key(method, path));
      }
    }
  });
  afterAll(async () => s?.close());

  it('every route the client calls exists in the document', () => {
    const missing = [...routeKeys].filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
  });

  it('every documented route under /api/v1 has a client method', () => {
    const uncovered = [...documented].filter(
      (k) => k.split(' ')[1]!.startsWith('/api/v1/') && !routeKeys.has(k),
    );
    expect(uncovered).toEqual([]);
  });

  it('errors carry the status, stable code and message of the server', async () => {
    const bad = new TokenwardClient({ baseUrl: s.url, token: 'tw_app_nope' });
    const err = await bad.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenwardError);
    expect(err).toMatchObject({ status: 401, code: 'unauthenticated', errorCode: 2000 });
    const admin = new TokenwardClient({ baseUrl: s.url, token: await adminToken(s.url) });
    const missing = await admin.appTokens.get(999_999).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    const unreachable = new TokenwardClient({ baseUrl: 'http://127.0.0.1:9', token: 'x' });
    expect(await unreachable.me().catch((e: unknown) => e)).toMatchObject({
      status: 0,
      code: 'connection_failed',
    });
  });

  it('a session client signs in, creates a personal token with the CSRF header, and signs out', async () => {
    const anon = new TokenwardClient({ baseUrl: s.url });
    const signed = await anon.sessions.signIn('admin', 'correct horse battery staple');
    const pat = await signed.client.personalTokens.create({ name: 'from a session' });
    expect(pat.token).toMatch(/^tw_pat_/);
    expect((await signed.client.sessions.signOut()).signedOut).toBe(true);
    const byPat = anon.withCredential({ token: pat.token });
    expect((await byPat.me()).identity.name).toBe('admin');
  });
});

describe('each client method calls the route of its name', () => {
  it('calling every method touches every route in ROUTES', async () => {
    const called = new Set<string>();
    const templates = Object.values(ROUTES).map((r) => ({
      k: key(r.method, r.path),
      method: r.method,
      re: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      const match = templates.find((t) => t.method === method && t.re.test(url.pathname));
      if (match) called.add(match.k);
      const headers = new Headers({ 'content-type': 'application/json' });
      if (url.pathname.endsWith('/signin')) headers.append('set-cookie', 'tw_session=abc; Path=/; HttpOnly');
      if (url.pathname.endsWith('/auth/verify')) return new Response(null, { status: 204, headers });
      const body = url.pathname.endsWith('/export')
        ? { items: [], next: null, total: 0 }
        : url.pathname.endsWith('/import-hashes')
          ? { imported: 0, skipped: [] }
          : url.pathname.endsWith('/keys')
            ? { items: [] }
            : { csrfToken: 'c', items: [] };
      return new Response(JSON.stringify(body), { status: 200, headers });
    }) as typeof fetch;
    const c = new TokenwardClient({ baseUrl: 'http://tw.test', token: 't', fetch: fakeFetch });
    await c.sessions.signIn('u', 'p');
    await c.sessions.signOut();
    await c.sessions.list();
    await c.sessions.end(1);
    await c.appTokens.grant();
    await c.appTokens.grant({}, 2);
    await c.appTokens.grantDefault();
    await c.appTokens.grantDefault(2);
    await c.appTokens.importValue({ token: 'x'.repeat(20), identity: { name: 'a' } });
    await c.appTokens.list();
    await c.appTokens.get(1);
    await c.appTokens.update(1, { name: 'n' });
    await c.appTokens.revoke(1);
    for await (const _ of c.appTokens.exportAll()) break;
    await c.appTokens.importHashes([{} as never]);
    await c.personalTokens.list();
    await c.personalTokens.create({ name: 'n' });
    await c.personalTokens.update(1, { name: 'n' });
    await c.personalTokens.revoke(1);
    await c.personalTokens.authenticate('u', 'p');
    await c.identities.list();
    await c.identities.create({ name: 'n' });
    await c.identities.get(1);
    await c.identities.update(1, { email: null });
    await c.identities.delete(1);
    await c.identities.clientKeys.get(1);
    await c.identities.clientKeys.put(1, { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }] });
    await c.identities.clientKeys.delete(1);
    await c.roles.list();
    await c.roles.create({ name: 'R', permissions: [] });
    await c.roles.get('R');
    await c.roles.update('R', { description: 'd' });
    await c.roles.delete('R');
    await c.audit();
    await c.me();
    await c.limits();
    await c.tokens.introspect('x');
    await c.tokens.clientCredentials('Reader');
    await c.tokens.revoke('x');
    await c.tokens.refresh('x');
    await c.tokens.exchange({ subject_token: 'x' });
    await c.tokens.verify('billing:read');
    await c.keys.list();
    await c.keys.rotate();
    await c.keys.jwks();
    expect([...routeKeys].filter((k) => !called.has(k))).toEqual([]);
  });
});
