import { OAUTH_PATHS } from '@tokenward/core';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type StoreHandle,
  startServer,
  type TestServer,
} from './helpers.js';

/**
 * Issue 14 item 1: RFC 8414 authorization server metadata and RFC 9728 protected resource
 * metadata, read by the real clients an integrator uses (oauth4webapi 3.8, openid-client 6.9),
 * over a real socket: oauth4webapi requires `issuer` to equal the URL it discovered from.
 */

const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function discoverWithOauth4webapi(base: string): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(base);
  const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(issuer, res);
}

for (const dialect of DIALECTS) {
  describe(`OAuth discovery [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let admin: string;

    beforeAll(async () => {
      store = freshStore(dialect);
      s = await startServer(store);
      admin = await adminToken(s.url);
    });
    afterAll(async () => s?.close());

    it('oauth4webapi discovers the authorization server: issuer is the public URL, every endpoint under it', async () => {
      const as = await discoverWithOauth4webapi(s.url);
      expect(as.issuer).toBe(s.url);
      expect(as).toMatchObject({
        token_endpoint: `${s.url}${OAUTH_PATHS.token}`,
        introspection_endpoint: `${s.url}${OAUTH_PATHS.introspection}`,
        revocation_endpoint: `${s.url}${OAUTH_PATHS.revocation}`,
        jwks_uri: `${s.url}${OAUTH_PATHS.jwks}`,
        grant_types_supported: [
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:token-exchange',
          'client_credentials',
        ],
        response_types_supported: [],
        service_documentation: `${s.url}/docs`,
      });
      for (const endpoint of ['token', 'introspection', 'revocation'] as const) {
        expect(as[`${endpoint}_endpoint_auth_methods_supported`]).toEqual([
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
        ]);
        // RFC 8414 §2: MUST be present when private_key_jwt is listed; never `none` or HMAC.
        expect(as[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual([
          'ES256',
          'ES384',
          'PS256',
          'RS256',
          'EdDSA',
        ]);
      }
      expect(as.dpop_signing_alg_values_supported).toEqual(['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']);
      expect(as.scopes_supported).toEqual(
        expect.arrayContaining(['Administrator', 'Operator', 'Reader', 'keys:rotate']),
      );
      expect(as.scopes_supported?.some((scope) => scope.includes('*'))).toBe(false);
    });

    it('the JWKS it names is the one that verifies access tokens', async () => {
      const as = await discoverWithOauth4webapi(s.url);
      const res = await fetch(as.jwks_uri!);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    });

    it('openid-client discovery() accepts the document as an OAuth 2.0 server', async () => {
      const config = await client.discovery(new URL(s.url), 'admin', undefined, undefined, {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      });
      const meta = config.serverMetadata();
      expect(meta.issuer).toBe(s.url);
      expect(meta.token_endpoint).toBe(`${s.url}${OAUTH_PATHS.token}`);
      expect(meta.introspection_endpoint).toBe(`${s.url}${OAUTH_PATHS.introspection}`);
      expect(meta.revocation_endpoint).toBe(`${s.url}${OAUTH_PATHS.revocation}`);
      expect(config.clientMetadata().client_id).toBe('admin');
    });

    it('oauth4webapi reads the RFC 9728 protected resource metadata of the API', async () => {
      const resource = new URL(s.url);
      const res = await oauth.resourceDiscoveryRequest(resource, insecure);
      const rs = await oauth.processResourceDiscoveryResponse(resource, res);
      expect(rs).toMatchObject({
        resource: s.url,
        authorization_servers: [s.url],
        bearer_methods_supported: ['header'],
        dpop_signing_alg_values_supported: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
        resource_documentation: `${s.url}/docs`,
      });
      // Each server it names is discoverable.
      expect((await discoverWithOauth4webapi(rs.authorization_servers![0]!)).issuer).toBe(s.url);
    });

    it('a role created later is in scopes_supported at once, with its literal permissions but no wildcard', async () => {
      const created = await http(s.url, 'POST', '/api/v1/role', {
        token: admin,
        json: { name: 'Billing Clerk', permissions: ['billing:read', 'billing:pay', 'reports:*'] },
      });
      expect(created.status, created.text).toBe(201);
      for (const path of [OAUTH_PATHS.authorizationServerMetadata, OAUTH_PATHS.protectedResourceMetadata]) {
        const doc = await http(s.url, 'GET', path);
        expect(doc.status).toBe(200);
        expect(doc.body.scopes_supported).toEqual(
          expect.arrayContaining(['Billing Clerk', 'billing:pay', 'billing:read']),
        );
        expect(doc.body.scopes_supported).not.toContain('reports:*');
      }
      expect((await discoverWithOauth4webapi(s.url)).scopes_supported).toContain('Billing Clerk');
      const removed = await http(s.url, 'DELETE', `/api/v1/role/${encodeURIComponent('Billing Clerk')}`, {
        token: admin,
      });
      expect(removed.status, removed.text).toBeLessThan(300);
      const after = await http(s.url, 'GET', OAUTH_PATHS.authorizationServerMetadata);
      expect(after.body.scopes_supported).not.toContain('Billing Clerk');
    });

    it('both documents are public JSON with a short public cache lifetime, the same with or without a credential', async () => {
      for (const path of [OAUTH_PATHS.authorizationServerMetadata, OAUTH_PATHS.protectedResourceMetadata]) {
        const anonymous = await http(s.url, 'GET', path);
        expect(anonymous.status, anonymous.text).toBe(200);
        expect(anonymous.headers.get('content-type')).toMatch(/^application\/json/);
        expect(anonymous.headers.get('cache-control')).toBe('public, max-age=60');
        // A credential, good or bad, changes nothing: the documents are not per caller.
        expect((await http(s.url, 'GET', path, { token: admin })).body).toEqual(anonymous.body);
        const garbage = await http(s.url, 'GET', path, { token: 'tw_app_notatoken' });
        expect(garbage.status).toBe(200);
        expect(garbage.body).toEqual(anonymous.body);
        // Not writable.
        expect((await http(s.url, 'POST', path, { token: admin, json: {} })).status).toBe(404);
      }
    });

    it('oauth4webapi refuses a server whose issuer is not the URL it was discovered from (so the check above means something)', async () => {
      const other = await startServer(store, { config: { issuer: 'https://tokens.example.com' } });
      try {
        await expect(discoverWithOauth4webapi(other.url)).rejects.toThrow(/issuer/);
      } finally {
        await other.stop();
      }
    });
  });
}
