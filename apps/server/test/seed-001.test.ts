import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  DIALECTS,
  freshStore,
  http,
  signIn,
  startServer,
  type TestServer,
} from './helpers.js';

// The exact token value of seed 001's migration example (a foreign JWT from another product).
const SEED_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJodHRwOi8vc2NoZW1hcy54bWxzb2FwLm9yZy93cy8yMDA1LzA1L2lkZW50aXR5L2NsYWltcy9uYW1lIjoiQWRtaW4iLCJodHRwOi8vc2NoZW1hcy54bWxzb2FwLm9yZy93cy8yMDA1LzA1L2lkZW50aXR5L2NsYWltcy9oYXNoIjoiMDhiYTFlMTktMjgyZi00YTRjLWIxZGUtNTY0Zjk3NWU2ODEwIiwic3ViIjoiUG93ZXJTaGVsbFVuaXZlcnNhbCIsImh0dHA6Ly9zY2hlbWFzLm1pY3Jvc29mdC5jb20vd3MvMjAwOC8wNi9pZGVudGl0eS9jbGFpbXMvcm9sZSI6InBvbGljeSIsIm5iZiI6MTYzMzEwNjkzMywiZXhwIjoxNjQwODg2NDgwLCJpc3MiOiJJcm9ubWFuU29mdHdhcmUiLCJhdWQiOiJQb3dlclNoZWxsVW5pdmVyc2FsIn0.GHjJI3kMpcAY1pvOGLWOdPqC2-IPo0-4lJfHZwStmOk';

for (const dialect of DIALECTS) {
  describe(`seed 001 flows as written [${dialect}]`, () => {
    let s: TestServer;
    let session: { cookie: string; csrf: string };
    let adminTokenValue: string;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect));
      session = await signIn(s.url, 'admin', ADMIN_PASSWORD);
    });
    afterAll(async () => s?.close());

    it('POST /api/v1/signin with a JSON body sets an HttpOnly SameSite session cookie', async () => {
      const res = await fetch(`${s.url}/api/v1/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      expect(res.status).toBe(200);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('tw_session='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
    });

    it('GET /api/v1/apptoken/grant with the web session returns a token with the seed fields', async () => {
      const res = await http(s.url, 'GET', '/api/v1/apptoken/grant', { cookie: session.cookie });
      expect(res.status).toBe(200);
      const b = res.body;
      for (const field of [
        'id',
        'token',
        'identity',
        'revoked',
        'role',
        'created',
        'expiration',
        'revokedDate',
      ]) {
        expect(b).toHaveProperty(field);
      }
      expect(b.identity).toMatchObject({ id: 1, name: 'admin', source: 'local' });
      expect(b.revoked).toBe(false);
      expect(b.role).toBe('Administrator');
      expect(b.revokedDate).toBeNull();
      expect(b.token).toMatch(/^tw_app_[A-Za-z0-9_-]{49}$/);
      expect(b.status).toBe('Active');
      expect(b.hint).toBe(b.token.slice(-4));
      // Default lifetime: 365 days.
      const days = (Date.parse(b.expiration) - Date.parse(b.created)) / 86_400_000;
      expect(days).toBeCloseTo(365, 3);
      adminTokenValue = b.token;
    });

    it('the granted token authenticates, and its value is never shown again', async () => {
      const list = await http(s.url, 'GET', '/api/v1/apptoken', { token: adminTokenValue });
      expect(list.status).toBe(200);
      expect(list.text).not.toContain(adminTokenValue);
      expect(list.body.items.every((t: { token?: string }) => t.token === undefined)).toBe(true);
    });

    it('GET /api/v1/apptoken/grant/2 as an administrator grants identity 2 a token with its Operator role', async () => {
      const created = await http(s.url, 'POST', '/api/v1/identity', {
        token: adminTokenValue,
        json: { name: 'adam@ironmansoftware.onmicrosoft.com', roles: ['Operator'] },
      });
      expect(created.status).toBe(201);
      expect(created.body.id).toBe(2);
      const res = await http(s.url, 'GET', '/api/v1/apptoken/grant/2', { cookie: session.cookie });
      expect(res.status).toBe(200);
      expect(res.body.identity).toMatchObject({ id: 2, name: 'adam@ironmansoftware.onmicrosoft.com' });
      expect(res.body.role).toBe('Operator');
      const me = await http(s.url, 'GET', '/api/v1/identity/2', { token: res.body.token });
      expect(me.status).toBe(200);
    });

    it('POST /api/v1/apptoken imports the seed token (PowerShell body) and that token then authenticates', async () => {
      const inSixMonths = Date.now() + 182 * 86_400_000;
      // What Windows PowerShell's ConvertTo-Json writes for @{ Token=…; Identity=@{Name='Admin'}; Role=…; Expiration=(Get-Date).AddMonths(6) }
      const body = `{
    "Token":  "${SEED_TOKEN}",
    "Identity":  {
                     "Name":  "Admin"
                 },
    "Role":  "Administrator",
    "Expiration":  "\\/Date(${inSixMonths})\\/"
}`;
      const res = await http(s.url, 'POST', '/api/v1/apptoken', {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminTokenValue}` },
        body,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        identity: { name: 'admin' },
        role: 'Administrator',
        revoked: false,
        imported: true,
      });
      expect(Date.parse(res.body.expiration)).toBe(inSixMonths);
      expect(res.text).not.toContain(SEED_TOKEN);

      const use = await http(s.url, 'GET', '/api/v1/apptoken', { token: SEED_TOKEN });
      expect(use.status).toBe(200);

      // Importing the same value again is a conflict, and changes nothing.
      const again = await http(s.url, 'POST', '/api/v1/apptoken', {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminTokenValue}` },
        body,
      });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('token_exists');
    });

    it('imports accept an ISO date (PowerShell 7) and identity given by id', async () => {
      const expiration = new Date(Date.now() + 30 * 86_400_000).toISOString().replace('Z', '0000+00:00');
      // A value from another product: long and random enough to import (≥ 128 bits estimated).
      const legacy = `legacy-${randomBytes(24).toString('base64url')}`;
      const res = await http(s.url, 'POST', '/api/v1/apptoken', {
        token: adminTokenValue,
        json: { token: legacy, Identity: { Id: 2 }, role: ['Operator'], expiration },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.identity.id).toBe(2);
      const use = await http(s.url, 'GET', '/api/v1/identity/2', {
        headers: { 'x-psu-authorization': `Bearer ${legacy}` },
      });
      expect(use.status).toBe(200);
    });
  });
}
