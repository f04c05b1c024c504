import createClient, { type Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from '../../../packages/client/src/generated/openapi.js';
import { ADMIN_PASSWORD, DIALECTS, freshStore, startServer, type TestServer } from './helpers.js';

/*
 * Issue 14 item 9: a client generated from the OpenAPI document alone (openapi-typescript's
 * `paths`, committed as packages/client/src/generated/openapi.ts, driven by openapi-fetch) works
 * against a real Tokenward over a socket: every request and answer below is type-checked against
 * the document (tsconfig.test.json), so a schema that drifts from the server breaks this file or
 * its assertions. No Tokenward code on the client side.
 */

/** `Authorization: Bearer` on every request of a client. */
const bearer = (token: string): Middleware => ({
  onRequest({ request }) {
    request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
});

/** Form encoding (RFC 6749 §3.2) for the OAuth endpoints' bodies. */
const formBody = (body: Record<string, string | undefined>): string => {
  const fields = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) if (v !== undefined) fields.set(k, v);
  return fields.toString();
};
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

for (const dialect of DIALECTS) {
  describe(`a generated openapi-fetch client [${dialect}]`, () => {
    let s: TestServer;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect));
    });
    afterAll(async () => s?.close());

    it('signs in, creates an identity, grants, lists, introspects and revokes', async () => {
      const anonymous = createClient<paths>({ baseUrl: s.url });

      // Sign in: the session cookie and CSRF token, then an admin app token on the session.
      const signedIn = await anonymous.POST('/api/v1/signin', {
        body: { username: 'admin', password: ADMIN_PASSWORD },
      });
      expect(signedIn.response.status).toBe(200);
      expect(signedIn.data?.identity.name).toBe('admin');
      const cookie = signedIn.response.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const granted = await anonymous.POST('/api/v1/apptoken/grant', {
        headers: { cookie, 'x-csrf-token': signedIn.data?.csrfToken ?? '' },
        body: { name: 'openapi-fetch admin' },
      });
      expect(granted.error).toBeUndefined();
      const adminToken = granted.data?.token;
      expect(adminToken).toBeTypeOf('string');
      const admin = createClient<paths>({ baseUrl: s.url });
      admin.use(bearer(adminToken ?? ''));

      const me = await admin.GET('/api/v1/me');
      expect(me.data?.roles).toContain('Administrator');

      // An identity, and an app token for it.
      const created = await admin.POST('/api/v1/identity', {
        body: { name: 'fetch-user', email: 'fetch-user@example.org', roles: ['Reader'] },
      });
      expect(created.response.status).toBe(201);
      const identity = created.data;
      expect(identity?.name).toBe('fetch-user');
      const token = await admin.POST('/api/v1/apptoken/grant/{identityId}', {
        params: { path: { identityId: String(identity?.id) } },
        body: { name: 'fetch-token', description: 'from openapi-fetch' },
      });
      expect(token.data).toMatchObject({ name: 'fetch-token', roles: ['Reader'], status: 'Active' });
      const value = token.data?.token ?? '';
      expect(value.length).toBeGreaterThan(20);

      // Listed by identity, without its value.
      const list = await admin.GET('/api/v1/apptoken', { params: { query: { identity: 'fetch-user' } } });
      expect(list.data?.total).toBe(1);
      expect(list.data?.items[0]?.id).toBe(token.data?.id);
      expect(list.data?.items[0]?.token).toBeUndefined();

      // The token works as a credential of its own client.
      const user = createClient<paths>({ baseUrl: s.url });
      user.use(bearer(value));
      expect((await user.GET('/api/v1/me')).data?.identity.id).toBe(identity?.id);

      // Introspection, form-encoded as RFC 7662 has it.
      const active = await admin.POST('/api/v1/token/introspect', {
        body: { token: value },
        bodySerializer: formBody,
        headers: FORM,
      });
      expect(active.response.status).toBe(200);
      expect(active.data?.active).toBe(true);

      // Revocation (RFC 7009), then the token is inactive and refused.
      const revoked = await anonymous.POST('/api/v1/token/revoke', {
        body: { token: value },
        bodySerializer: formBody,
        headers: FORM,
      });
      expect(revoked.response.status).toBe(200);
      const inactive = await admin.POST('/api/v1/token/introspect', { body: { token: value } });
      expect(inactive.data).toEqual({ active: false });
      const refused = await user.GET('/api/v1/me');
      expect(refused.response.status).toBe(401);
      expect(refused.error?.code).toBe('unauthenticated');

      // The token's record says so too; an unknown one is the documented error.
      const after = await admin.GET('/api/v1/apptoken/{id}', {
        params: { path: { id: String(token.data?.id) } },
      });
      expect(after.data?.status).toBe('Revoked');
      const missing = await admin.GET('/api/v1/identity/{id}', { params: { path: { id: '999999' } } });
      expect(missing.response.status).toBe(404);
      expect(missing.error?.code).toBe('not_found');
    });
  });
}
