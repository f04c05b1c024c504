// Real OAuth clients, unmodified, against a real Tokenward on 127.0.0.1 (issue 14 items 2, 3,
// 4, 9): panva's oauth4webapi and openid-client, every client authentication method, every
// grant of the token endpoint, introspection, revocation and each error by its `error` code.
// The AuthorizationServer objects are built by hand (discovery is tested on its own).
import { JWT_BEARER_ASSERTION, OAUTH_PATHS, TOKEN_EXCHANGE_GRANT } from '@tokenward/core';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  makeIdentity,
  type StoreHandle,
  startServer,
  type TestServer,
} from './helpers.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

/**
 * The `error` of what a library threw: ResponseBodyError.error, or for a 401 with its
 * `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2), which both libraries surface as
 * WWWAuthenticateChallengeError, the `error` of the response body it carries.
 */
async function oauthError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError || err instanceof client.ResponseBodyError) return err.error;
    if (
      err instanceof oauth.WWWAuthenticateChallengeError ||
      err instanceof client.WWWAuthenticateChallengeError
    ) {
      expect(err.status).toBe(401);
      expect(err.cause.map((c) => c.scheme)).toContain('basic');
      return ((await err.response.json()) as { error: string }).error;
    }
    throw err;
  }
  throw new Error('expected an OAuth error');
}

for (const dialect of DIALECTS) {
  describe(`real OAuth clients [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let admin: string;
    let as: oauth.AuthorizationServer;
    let svc: { id: number; token: string };
    let user: { id: number; token: string };
    const svcName = `svc-${dialect}`;

    beforeAll(async () => {
      store = freshStore(dialect);
      s = await startServer(store);
      admin = await adminToken(s.url);
      svc = await makeIdentity(s.url, admin, svcName, ['Operator']);
      user = await makeIdentity(s.url, admin, `user-${dialect}`, ['Operator']);
      // tokens:exchange for the service: a custom role beside Operator.
      await http(s.url, 'POST', '/api/v1/role', {
        token: admin,
        json: { name: 'Exchanger', permissions: ['tokens:exchange', 'tokens:read'] },
      });
      await http(s.url, 'PUT', `/api/v1/identity/${svc.id}`, {
        token: admin,
        json: { roles: ['Operator', 'Exchanger'] },
      });
      const granted = await http(s.url, 'POST', `/api/v1/apptoken/grant/${svc.id}`, {
        token: admin,
        json: {},
      });
      svc.token = granted.body.token;
      // RFC 8414 discovery, as an integrator would: everything below comes from the document.
      const issuer = new URL(s.app.tw.config.issuer);
      as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
      );
      expect(as.token_endpoint).toBe(s.url + OAUTH_PATHS.token);
    });

    afterAll(async () => {
      await s?.close();
    });

    /** A refresh token of `holder` (seed 004's access-token API). */
    async function refreshTokenOf(token: string): Promise<string> {
      const res = await http(s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: token },
        json: { tokenName: 'rt', tokenType: 'DEFAULT' },
      });
      expect(res.status).toBe(200);
      return res.body.tokenInfo.refreshToken;
    }

    describe('oauth4webapi', () => {
      const c = (): oauth.Client => ({ client_id: svcName });

      it('client_credentials with client_secret_basic and client_secret_post: an access JWT for the client', async () => {
        for (const auth of [oauth.ClientSecretBasic(svc.token), oauth.ClientSecretPost(svc.token)]) {
          const res = await oauth.clientCredentialsGrantRequest(as, c(), auth, { scope: 'Reader' }, insecure);
          expect(res.headers.get('cache-control')).toBe('no-store');
          expect(res.headers.get('pragma')).toBe('no-cache');
          const body = await oauth.processClientCredentialsResponse(as, c(), res);
          expect(body.token_type).toBe('bearer');
          expect(body.scope).toBe('Reader');
          expect(body.refresh_token).toBeUndefined();
          const me = await http(s.url, 'GET', '/api/v1/me', { token: body.access_token });
          expect(me.body.identity?.id ?? me.body.id).toBe(svc.id);
          // Narrowed to Reader: it cannot grant, although the client (Operator) could.
          const grant = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
            token: body.access_token,
            json: {},
          });
          expect(grant.status).toBe(403);
        }
      });

      it('client_id may be the numeric identity id', async () => {
        const res = await oauth.clientCredentialsGrantRequest(
          as,
          { client_id: String(svc.id) },
          oauth.ClientSecretBasic(svc.token),
          {},
          insecure,
        );
        const body = await oauth.processClientCredentialsResponse(as, { client_id: String(svc.id) }, res);
        expect(body.access_token).toBeTruthy();
      });

      it('private_key_jwt with a registered key; the same assertion twice is refused', async () => {
        const { publicKey, privateKey } = await generateKeyPair('ES256');
        const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
        const put = await http(s.url, 'PUT', `/api/v1/identity/${svc.id}/jwks`, {
          token: admin,
          json: { keys: [jwk] },
        });
        expect(put.status).toBe(200);
        const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' });
        const res = await oauth.clientCredentialsGrantRequest(as, c(), auth, {}, insecure);
        const body = await oauth.processClientCredentialsResponse(as, c(), res);
        expect(body.access_token).toBeTruthy();
        // Introspection and revocation take the same method.
        const intro = await oauth.processIntrospectionResponse(
          as,
          c(),
          await oauth.introspectionRequest(as, c(), auth, body.access_token, insecure),
        );
        expect(intro.active).toBe(true);
        // A replayed assertion (RFC 7523 §3 jti): capture one and send it again.
        let assertion = '';
        await oauth.clientCredentialsGrantRequest(
          as,
          c(),
          auth,
          {},
          {
            ...insecure,
            [oauth.customFetch]: async (url, init) => {
              assertion = new URLSearchParams(String(init.body)).get('client_assertion') ?? '';
              return fetch(url, init);
            },
          },
        );
        const replay = await http(s.url, 'POST', OAUTH_PATHS.token, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: JWT_BEARER_ASSERTION,
            client_assertion: assertion,
          }).toString(),
        });
        expect(replay.status).toBe(401);
        expect(replay.body.error).toBe('invalid_client');
        // Another key signs nothing that is accepted.
        const other = await generateKeyPair('ES256');
        const wrong = await oauthError(
          oauth
            .clientCredentialsGrantRequest(
              as,
              c(),
              oauth.PrivateKeyJwt({ key: other.privateKey, kid: 'k1' }),
              {},
              insecure,
            )
            .then((r) => oauth.processClientCredentialsResponse(as, c(), r)),
        );
        expect(wrong).toBe('invalid_client');
      });

      it('refresh_token grant rotates the refresh token', async () => {
        const rt = await refreshTokenOf(svc.token);
        const res = await oauth.refreshTokenGrantRequest(
          as,
          c(),
          oauth.ClientSecretPost(svc.token),
          rt,
          insecure,
        );
        const body = await oauth.processRefreshTokenResponse(as, c(), res);
        expect(body.refresh_token).toBeTruthy();
        expect(body.refresh_token).not.toBe(rt);
        // The spent one: invalid_grant.
        const again = await oauthError(
          oauth
            .refreshTokenGrantRequest(as, c(), oauth.ClientSecretPost(svc.token), rt, insecure)
            .then((r) => oauth.processRefreshTokenResponse(as, c(), r)),
        );
        expect(again).toBe('invalid_grant');
      });

      it('token exchange: the authenticated client acts for the user, with act', async () => {
        const res = await oauth.genericTokenEndpointRequest(
          as,
          c(),
          oauth.ClientSecretBasic(svc.token),
          TOKEN_EXCHANGE_GRANT,
          {
            subject_token: user.token,
            subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
            scope: 'Reader',
          },
          insecure,
        );
        const body = await oauth.processGenericTokenEndpointResponse(as, c(), res);
        expect(body.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');
        const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString());
        expect(claims.sub).toBe(String(user.id));
        expect(claims.act).toMatchObject({ sub: String(svc.id) });
      });

      it('introspection and revocation with client_secret_basic', async () => {
        const rt = await refreshTokenOf(user.token);
        const auth = oauth.ClientSecretBasic(svc.token);
        const intro = await oauth.processIntrospectionResponse(
          as,
          c(),
          await oauth.introspectionRequest(as, c(), auth, user.token, insecure),
        );
        expect(intro).toMatchObject({ active: true, sub: String(user.id) });
        await oauth.processRevocationResponse(await oauth.revocationRequest(as, c(), auth, rt, insecure));
        const after = await oauth.processIntrospectionResponse(
          as,
          c(),
          await oauth.introspectionRequest(as, c(), auth, rt, insecure),
        );
        expect(after.active).toBe(false);
      });

      it('each error by its RFC 6749 code', async () => {
        const cc = (auth: oauth.ClientAuth, params: Record<string, string>) =>
          oauth
            .clientCredentialsGrantRequest(as, c(), auth, params, insecure)
            .then((r) => oauth.processClientCredentialsResponse(as, c(), r));
        expect(await oauthError(cc(oauth.ClientSecretBasic('tw_app_wrong'), {}))).toBe('invalid_client');
        expect(await oauthError(cc(oauth.ClientSecretPost(user.token), {}))).toBe('invalid_client');
        expect(await oauthError(cc(oauth.ClientSecretBasic(svc.token), { scope: 'Administrator' }))).toBe(
          'invalid_scope',
        );
        expect(await oauthError(cc(oauth.ClientSecretBasic(svc.token), { scope: 'no-such-role' }))).toBe(
          'invalid_scope',
        );
        const generic = (grant: string, params: Record<string, string>) =>
          oauth
            .genericTokenEndpointRequest(as, c(), oauth.ClientSecretBasic(svc.token), grant, params, insecure)
            .then((r) => oauth.processGenericTokenEndpointResponse(as, c(), r));
        expect(await oauthError(generic('password', { username: 'a', password: 'b' }))).toBe(
          'unsupported_grant_type',
        );
        expect(await oauthError(generic(TOKEN_EXCHANGE_GRANT, { subject_token: 'tw_app_forged' }))).toBe(
          'invalid_request',
        );
        expect(await oauthError(generic('refresh_token', { refresh_token: 'tw_rt_unknown' }))).toBe(
          'invalid_grant',
        );
        // A 401 names Basic (RFC 6749 §5.2).
        const res = await oauth.clientCredentialsGrantRequest(
          as,
          c(),
          oauth.ClientSecretBasic('nope'),
          {},
          insecure,
        );
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="tokenward"/);
      });
    });

    describe('openid-client', () => {
      const config = (auth: client.ClientAuth, id = svcName): client.Configuration => {
        const cfg = new client.Configuration(as, id, undefined, auth);
        client.allowInsecureRequests(cfg);
        return cfg;
      };

      it('client_credentials, refresh, exchange, introspection and revocation', async () => {
        const basic = config(client.ClientSecretBasic(svc.token));
        const cc = await client.clientCredentialsGrant(basic, { scope: 'Reader' });
        expect(cc.scope).toBe('Reader');
        const post = config(client.ClientSecretPost(svc.token));
        const rt = await refreshTokenOf(svc.token);
        const refreshed = await client.refreshTokenGrant(post, rt);
        expect(refreshed.refresh_token).toBeTruthy();
        const ex = await client.genericGrantRequest(basic, TOKEN_EXCHANGE_GRANT, {
          subject_token: user.token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        });
        expect(ex.access_token).toBeTruthy();
        const intro = await client.tokenIntrospection(basic, ex.access_token);
        expect(intro.active).toBe(true);
        await client.tokenRevocation(basic, ex.access_token);
        expect((await client.tokenIntrospection(basic, ex.access_token)).active).toBe(false);
      });

      it('private_key_jwt, and DPoP: a bound token from the token endpoint used on the API', async () => {
        const { publicKey, privateKey } = await generateKeyPair('ES256');
        const jwk = { ...(await exportJWK(publicKey)), kid: 'oc1', alg: 'ES256' };
        const put = await http(s.url, 'PUT', `/api/v1/identity/${svc.id}/jwks`, {
          token: admin,
          json: { keys: [jwk] },
        });
        expect(put.status).toBe(200);
        const pkj = config(client.PrivateKeyJwt({ key: privateKey, kid: 'oc1' }));
        const dpopKeys = await client.randomDPoPKeyPair('ES256');
        const DPoP = client.getDPoPHandle(pkj, dpopKeys);
        const bound = await client.clientCredentialsGrant(pkj, { scope: 'Reader' }, { DPoP });
        expect(bound.token_type.toLowerCase()).toBe('dpop');
        const me = await client.fetchProtectedResource(
          pkj,
          bound.access_token,
          new URL(`${s.url}/api/v1/me`),
          'GET',
          undefined,
          undefined,
          { DPoP },
        );
        expect(me.status).toBe(200);
        // The same token without its proof is refused.
        const bare = await http(s.url, 'GET', '/api/v1/me', { token: bound.access_token });
        expect(bare.status).toBe(401);
        const intro = await client.tokenIntrospection(
          config(client.ClientSecretBasic(svc.token)),
          bound.access_token,
        );
        expect(intro.token_type).toBe('DPoP');
        expect(intro.cnf).toEqual({ jkt: await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey)) });
      });

      it('errors surface as ResponseBodyError with the RFC code', async () => {
        const basic = config(client.ClientSecretBasic(svc.token));
        expect(
          await oauthError(
            client.genericGrantRequest(basic, TOKEN_EXCHANGE_GRANT, {
              subject_token: user.token,
              audience: 'https://not-configured.example',
            }),
          ),
        ).toBe('invalid_target');
        expect(await oauthError(client.clientCredentialsGrant(config(client.ClientSecretBasic('x'))))).toBe(
          'invalid_client',
        );
        expect(await oauthError(client.clientCredentialsGrant(basic, { scope: 'Administrator' }))).toBe(
          'invalid_scope',
        );
        expect(await oauthError(client.refreshTokenGrant(basic, 'tw_rt_nope'))).toBe('invalid_grant');
        expect(await oauthError(client.genericGrantRequest(basic, 'urn:example:nope', {}))).toBe(
          'unsupported_grant_type',
        );
        expect(
          await oauthError(client.genericGrantRequest(basic, TOKEN_EXCHANGE_GRANT, { subject_token: 'bad' })),
        ).toBe('invalid_request');
      });
    });
  });
}
