import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, DIALECTS, freshStore, http, startServer, type TestServer } from './helpers.js';

for (const dialect of DIALECTS) {
  describe(`operations endpoints and HTTP hardening [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    beforeAll(async () => {
      s = await startServer(freshStore(dialect), {
        config: { corsOrigins: ['https://console.example.com'] },
      });
      admin = await adminToken(s.url);
    });
    afterAll(async () => s?.close());

    it('/healthz and /readyz answer without a credential', async () => {
      expect((await http(s.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
      expect((await http(s.url, 'GET', '/readyz')).body).toEqual({ status: 'ready', store: dialect });
    });

    it('the OpenAPI 3.1 document lists the native and the seed routes; /docs serves the interactive docs', async () => {
      const doc = (await http(s.url, 'GET', '/api/openapi.json')).body;
      expect(doc.openapi).toBe('3.1.0');
      for (const path of [
        '/api/v1/signin',
        '/api/v1/apptoken/grant',
        '/api/v1/apptoken/grant/{identityId}',
        '/api/v1/apptoken',
        '/api/v1/apptoken/{id}',
        '/api/v1/PersonalTokens/authenticate',
        '/api/v4/accesstoken',
        '/api/v1/token/introspect',
        '/api/v1/token/exchange',
        '/api/v1/auth/verify',
        '/.well-known/jwks.json',
      ]) {
        expect(doc.paths, path).toHaveProperty([path]);
      }
      const docs = await fetch(`${s.url}/docs/`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('<html');
    });

    it('/metrics exposes Prometheus metrics by route pattern, without ids, tokens or query strings', async () => {
      await http(s.url, 'GET', '/api/v1/apptoken/1', { token: admin });
      await http(s.url, 'GET', `/api/v1/apptoken?search=${admin}`, { token: admin });
      const res = await fetch(`${s.url}/metrics`);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).toContain(
        'tokenward_http_requests_total{route="/api/v1/apptoken/:id",method="GET",status="2xx"}',
      );
      expect(text).toContain('tokenward_cache_entries{cache="tokens"}');
      expect(text).not.toContain(admin);
      expect(text).not.toContain(admin.slice(7, 30));
    });

    it('CORS answers only for configured origins', async () => {
      const allowed = await fetch(`${s.url}/api/v1/me`, {
        method: 'OPTIONS',
        headers: { origin: 'https://console.example.com', 'access-control-request-method': 'GET' },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
      const other = await fetch(`${s.url}/api/v1/me`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'GET' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const get = await fetch(`${s.url}/api/v1/me`, {
        headers: { origin: 'https://evil.example.net', authorization: `Bearer ${admin}` },
      });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('a too long URL is refused with 414 in the error shape', async () => {
      const r = await http(s.url, 'GET', `/api/v1/apptoken?search=${'a'.repeat(9000)}`, { token: admin });
      expect(r.status).toBe(414);
      expect(r.body.code).toBe('uri_too_long');
    });
  });

  describe(`CORS closed by default [${dialect}]`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(freshStore(dialect));
    });
    afterAll(async () => s?.close());

    it('no origin is allowed when none is configured', async () => {
      const r = await fetch(`${s.url}/api/v1/me`, {
        method: 'OPTIONS',
        headers: { origin: 'https://console.example.com', 'access-control-request-method': 'GET' },
      });
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      expect(r.status).toBeGreaterThanOrEqual(400);
    });
  });
}
