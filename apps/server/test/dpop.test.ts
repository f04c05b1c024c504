// RFC 9449 (DPoP) end to end: oauth4webapi binds tokens at the token endpoint and uses them at
// Tokenward's own API; hand-made proofs (jose) show every refusal. Real sockets, both stores.
import { randomUUID } from 'node:crypto';
import { accessTokenHash } from '@tokenward/core';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ES256, type KeyPair, makeProof, type ProofOptions } from './dpop-proof.js';
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

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}

for (const dialect of DIALECTS) {
  describe(`DPoP (RFC 9449) [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let admin: string;
    let op: { id: number; token: string; password: string };
    let key: KeyPair;
    let jkt: string;

    beforeAll(async () => {
      store = freshStore(dialect);
      s = await startServer(store);
      admin = await adminToken(s.url);
      op = await makeIdentity(s.url, admin, 'dpop-op', ['Operator', 'Reader']);
      key = await ES256();
      jkt = await calculateJwkThumbprint(await exportJWK(key.publicKey));
    });
    afterAll(async () => s?.close());

    /** A fresh refresh token of `op` (bearer: minted without a proof). */
    const refreshToken = async (): Promise<string> => {
      const res = await http(s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: op.token },
        json: { tokenName: `r-${randomUUID()}` },
      });
      expect(res.status).toBe(200);
      return res.body.tokenInfo.refreshToken as string;
    };

    const REFRESH = '/api/v1/token/refresh';
    const ME = '/api/v1/me';

    /** Refreshes with a hand-made proof of `k`: a bound access + refresh token. */
    const boundPair = async (k: KeyPair = key) => {
      const rt = await refreshToken();
      const res = await http(s.url, 'POST', REFRESH, {
        headers: { dpop: await makeProof(k, { htm: 'POST', htu: s.url + REFRESH }) },
        json: { refresh_token: rt },
      });
      expect(res.status, res.text).toBe(200);
      return res.body as { access_token: string; refresh_token: string; token_type: string };
    };

    /** GET /api/v1/me with `Authorization: DPoP` and a proof (made with `o` overriding). */
    const callMe = async (token: string, o: ProofOptions = {}, k: KeyPair = key, scheme = 'DPoP') => {
      const proof = await makeProof(k, { htm: 'GET', htu: s.url + ME, ath: accessTokenHash(token), ...o });
      return fetch(s.url + ME, { headers: { authorization: `${scheme} ${token}`, dpop: proof } });
    };

    it('oauth4webapi: a DPoP refresh gets a bound token (token_type DPoP, cnf.jkt) that works at the API', async () => {
      const as: oauth.AuthorizationServer = { issuer: s.url, token_endpoint: s.url + REFRESH };
      const client: oauth.Client = { client_id: 'dpop-test' };
      const keyPair = await oauth.generateKeyPair('ES256');
      const DPoP = oauth.DPoP(client, keyPair);
      const opts = { DPoP, [oauth.allowInsecureRequests]: true };
      const res = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), await refreshToken(), opts);
      const tokens = await oauth.processRefreshTokenResponse(as, client, res);
      expect(tokens.token_type).toBe('dpop');
      const thumbprint = await DPoP.calculateThumbprint();
      expect(claims(tokens.access_token).cnf).toEqual({ jkt: thumbprint });

      const me = await oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL(s.url + ME),
        new Headers(),
        null,
        opts,
      );
      expect(me.status).toBe(200);
      expect(((await me.json()) as { identity: { name: string } }).identity.name).toBe('dpop-op');

      // The rotated refresh token is bound too: the same key refreshes again, through oauth4webapi.
      const again = await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        tokens.refresh_token!,
        opts,
      );
      expect((await oauth.processRefreshTokenResponse(as, client, again)).token_type).toBe('dpop');
    });

    it('oauth4webapi: token exchange with a DPoP proof gets a bound token', async () => {
      const as: oauth.AuthorizationServer = {
        issuer: s.url,
        token_endpoint: `${s.url}/api/v1/token/exchange`,
      };
      // Token exchange needs an authenticated client (issue 14 item 3): op, with its app token.
      const client: oauth.Client = { client_id: 'dpop-op' };
      const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
      const res = await oauth.genericTokenEndpointRequest(
        as,
        client,
        oauth.ClientSecretPost(op.token),
        'urn:ietf:params:oauth:grant-type:token-exchange',
        { subject_token: op.token },
        { DPoP, [oauth.allowInsecureRequests]: true },
      );
      const tokens = await oauth.processGenericTokenEndpointResponse(as, client, res);
      expect(tokens.token_type).toBe('dpop');
      expect(claims(tokens.access_token).cnf).toEqual({ jkt: await DPoP.calculateThumbprint() });
    });

    it('a bound token works with its key and a fresh proof each time', async () => {
      const pair = await boundPair();
      expect(pair.token_type).toBe('DPoP');
      expect(claims(pair.access_token).cnf).toEqual({ jkt });
      expect((await callMe(pair.access_token)).status).toBe(200);
      expect((await callMe(pair.access_token)).status).toBe(200);
    });

    it('a bound token presented as Bearer is refused (401, WWW-Authenticate invalid_token), cached or not', async () => {
      const pair = await boundPair();
      for (let i = 0; i < 2; i++) {
        const res = await http(s.url, 'GET', ME, { token: pair.access_token });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(
          /^Bearer realm="tokenward", error="invalid_token", DPoP /,
        );
        // Warm the cache through a proper DPoP use, then try Bearer again.
        expect((await callMe(pair.access_token)).status).toBe(200);
      }
      // The gateway check and introspection's caller likewise (their fast paths hand it on).
      expect((await http(s.url, 'GET', '/api/v1/auth/verify', { token: pair.access_token })).status).toBe(
        401,
      );
      expect(
        (
          await http(s.url, 'POST', '/api/v1/token/introspect', {
            token: pair.access_token,
            json: { token: op.token },
          })
        ).status,
      ).toBe(401);
    });

    it('Authorization: DPoP with an unbound token is refused', async () => {
      const res = await callMe(op.token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('DPoP realm="tokenward"');
    });

    it('refuses every wrong proof at a resource: 401 with error="invalid_dpop_proof"', async () => {
      const pair = await boundPair();
      const t = pair.access_token;
      const other = await ES256();
      const hs = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
      const privateJwk = await exportJWK(key.privateKey);
      const cases: Array<[string, () => Promise<Response>]> = [
        ['wrong htm', () => callMe(t, { htm: 'POST' })],
        ['wrong htu (other path)', () => callMe(t, { htu: `${s.url}/api/v1/apptoken` })],
        ['wrong htu (other host)', () => callMe(t, { htu: `http://evil.example${ME}` })],
        ['stale iat', () => callMe(t, { iat: Math.floor(Date.now() / 1000) - 3600 })],
        ['future iat', () => callMe(t, { iat: Math.floor(Date.now() / 1000) + 3600 })],
        ['wrong ath', () => callMe(t, { ath: accessTokenHash(op.token) })],
        ['no ath', () => callMe(t, { ath: undefined as unknown as string })],
        ['wrong key', () => callMe(t, {}, other)],
        ['wrong typ', () => callMe(t, { typ: 'JWT' })],
        ['private jwk in header', () => callMe(t, { jwk: privateJwk })],
        [
          'alg HS256',
          async () => {
            const proof = await new SignJWT({
              htm: 'GET',
              htu: s.url + ME,
              iat: Math.floor(Date.now() / 1000),
              jti: randomUUID(),
              ath: accessTokenHash(t),
            })
              .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
              .sign(hs);
            return fetch(s.url + ME, { headers: { authorization: `DPoP ${t}`, dpop: proof } });
          },
        ],
        [
          'alg none',
          async () => {
            const header = Buffer.from(
              JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) }),
            ).toString('base64url');
            const body = Buffer.from(
              JSON.stringify({
                htm: 'GET',
                htu: s.url + ME,
                iat: Math.floor(Date.now() / 1000),
                jti: randomUUID(),
                ath: accessTokenHash(t),
              }),
            ).toString('base64url');
            return fetch(s.url + ME, { headers: { authorization: `DPoP ${t}`, dpop: `${header}.${body}.` } });
          },
        ],
        ['no proof', () => fetch(s.url + ME, { headers: { authorization: `DPoP ${t}` } })],
        [
          'two proofs',
          async () => {
            const h = new Headers({ authorization: `DPoP ${t}` });
            h.append('dpop', await makeProof(key, { htm: 'GET', htu: s.url + ME, ath: accessTokenHash(t) }));
            h.append('dpop', await makeProof(key, { htm: 'GET', htu: s.url + ME, ath: accessTokenHash(t) }));
            return fetch(s.url + ME, { headers: h });
          },
        ],
      ];
      for (const [what, send] of cases) {
        const res = await send();
        expect(res.status, what).toBe(401);
        expect(res.headers.get('www-authenticate'), what).toMatch(
          /DPoP realm="tokenward", algs="[^"]+", error="invalid_dpop_proof"$/,
        );
        const body = (await res.json()) as { code: string };
        expect(body.code, what).toBe('invalid_dpop_proof');
      }
      // And the token still works with a right proof: refusals changed nothing.
      expect((await callMe(t)).status).toBe(200);
    });

    it('a bound single-use token is spent only by a request with a right proof', async () => {
      const V4 = '/api/v4/accesstoken';
      const grant = await http(s.url, 'POST', V4, {
        headers: { authtoken: op.token, dpop: await makeProof(key, { htm: 'POST', htu: s.url + V4 }) },
        json: { tokenName: 'one-touch', tokenType: 'OneTouch' },
      });
      expect(grant.status, grant.text).toBe(200);
      const t = grant.body.tokenInfo.accessToken as string;
      expect((await callMe(t, {}, await ES256())).status).toBe(401);
      expect((await callMe(t, { htm: 'POST' })).status).toBe(401);
      expect((await callMe(t)).status).toBe(200);
      expect((await callMe(t)).status).toBe(401);
    });

    it('a replayed proof is refused, also by another instance on the same store', async () => {
      const pair = await boundPair();
      const proof = await makeProof(key, {
        htm: 'GET',
        htu: s.url + ME,
        ath: accessTokenHash(pair.access_token),
      });
      const send = (base: string) =>
        fetch(base + ME, {
          headers: { authorization: `DPoP ${pair.access_token}`, dpop: proof, host: new URL(s.url).host },
        });
      expect((await send(s.url)).status).toBe(200);
      expect((await send(s.url)).status).toBe(401);
      const second = await startServer(store, { config: { publicUrl: s.url } });
      try {
        const fresh = await makeProof(key, {
          htm: 'GET',
          htu: s.url + ME,
          ath: accessTokenHash(pair.access_token),
        });
        const sendTo2 = (p: string) =>
          fetch(second.url + ME, { headers: { authorization: `DPoP ${pair.access_token}`, dpop: p } });
        // The second instance accepts a new proof (htu: the public URL) and refuses the first one.
        expect((await sendTo2(fresh)).status).toBe(200);
        const replay = await sendTo2(proof);
        expect(replay.status).toBe(401);
        expect(((await replay.json()) as { code: string }).code).toBe('invalid_dpop_proof');
        // A proof first used on the second instance is refused by the first.
        const third = await makeProof(key, {
          htm: 'GET',
          htu: s.url + ME,
          ath: accessTokenHash(pair.access_token),
        });
        expect((await sendTo2(third)).status).toBe(200);
        expect(
          (await fetch(s.url + ME, { headers: { authorization: `DPoP ${pair.access_token}`, dpop: third } }))
            .status,
        ).toBe(401);
      } finally {
        await second.stop();
      }
    });

    it('token endpoint: a wrong proof is a 400 invalid_dpop_proof and spends nothing', async () => {
      const rt = await refreshToken();
      const wrong = await http(s.url, 'POST', REFRESH, {
        headers: { dpop: await makeProof(key, { htm: 'GET', htu: s.url + REFRESH }) },
        json: { refresh_token: rt },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.code).toBe('invalid_dpop_proof');
      // The refresh token was not spent: it still works.
      const ok = await http(s.url, 'POST', REFRESH, { json: { refresh_token: rt } });
      expect(ok.status).toBe(200);
      expect(ok.body.token_type).toBe('Bearer');
      expect(claims(ok.body.access_token).cnf).toBeUndefined();
    });

    it('a bound refresh token needs a proof of its key (and is not spent when refused)', async () => {
      const pair = await boundPair();
      const none = await http(s.url, 'POST', REFRESH, { json: { refresh_token: pair.refresh_token } });
      expect(none.status).toBe(400);
      expect(none.body.code).toBe('invalid_dpop_proof');
      const other = await http(s.url, 'POST', REFRESH, {
        headers: { dpop: await makeProof(await ES256(), { htm: 'POST', htu: s.url + REFRESH }) },
        json: { refresh_token: pair.refresh_token },
      });
      expect(other.status).toBe(400);
      const mine = await http(s.url, 'POST', REFRESH, {
        headers: { dpop: await makeProof(key, { htm: 'POST', htu: s.url + REFRESH }) },
        json: { refresh_token: pair.refresh_token },
      });
      expect(mine.status, mine.text).toBe(200);
      expect(mine.body.token_type).toBe('DPoP');
    });

    it('a bound token cannot be exchanged for an unbound one', async () => {
      const pair = await boundPair();
      const EXCHANGE = '/api/v1/token/exchange';
      const body = {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: pair.access_token,
      };
      const noProof = await http(s.url, 'POST', EXCHANGE, { token: op.token, json: body });
      expect(noProof.status).toBe(400);
      expect(noProof.body.code).toBe('invalid_dpop_proof');
      const withProof = await http(s.url, 'POST', EXCHANGE, {
        token: op.token,
        headers: { dpop: await makeProof(key, { htm: 'POST', htu: s.url + EXCHANGE }) },
        json: body,
      });
      expect(withProof.status, withProof.text).toBe(200);
      expect(claims(withProof.body.access_token).cnf).toEqual({ jkt });
    });

    it('an identity that requires DPoP gets no new token at the token endpoint without a proof', async () => {
      const strict = await makeIdentity(s.url, admin, 'dpop-strict', ['Operator', 'Reader']);
      const set = await http(s.url, 'PUT', `/api/v1/identity/${strict.id}`, {
        token: admin,
        json: { requireDpop: true },
      });
      expect(set.status, set.text).toBe(200);
      expect(set.body.requireDpop).toBe(true);
      const V4 = '/api/v4/accesstoken';
      const noProof = await http(s.url, 'POST', V4, {
        headers: { authtoken: strict.token },
        json: { tokenName: 'strict' },
      });
      expect(noProof.status).toBe(400);
      expect(noProof.body.code).toBe('invalid_dpop_proof');
      const grant = await http(s.url, 'POST', V4, {
        headers: { authtoken: strict.token, dpop: await makeProof(key, { htm: 'POST', htu: s.url + V4 }) },
        json: { tokenName: 'strict' },
      });
      expect(grant.status, grant.text).toBe(200);
      expect(claims(grant.body.tokenInfo.accessToken).cnf).toEqual({ jkt });
      const rt = grant.body.tokenInfo.refreshToken as string;
      // The refresh token is bound: no proof, no refresh.
      const refused = await http(s.url, 'POST', REFRESH, { json: { refresh_token: rt } });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('invalid_dpop_proof');
      const ok = await http(s.url, 'POST', REFRESH, {
        headers: { dpop: await makeProof(key, { htm: 'POST', htu: s.url + REFRESH }) },
        json: { refresh_token: rt },
      });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.token_type).toBe('DPoP');
      // Exchange for it without a proof: refused too (its own app token as subject and actor).
      const exchanged = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: strict.token,
        json: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: strict.token },
      });
      expect(exchanged.status).toBe(400);
      expect(exchanged.body.code).toBe('invalid_dpop_proof');
      // A role can require it as well.
      const role = await http(s.url, 'POST', '/api/v1/role', {
        token: admin,
        json: { name: 'DpopOnly', permissions: ['tokens:read'], requireDpop: true },
      });
      expect(role.status, role.text).toBe(201);
      expect(role.body.requireDpop).toBe(true);
      const holder = await makeIdentity(s.url, admin, 'dpop-role-holder', ['Operator', 'Reader', 'DpopOnly']);
      const byRole = await http(s.url, 'POST', V4, {
        headers: { authtoken: holder.token },
        json: { tokenName: 'r' },
      });
      expect(byRole.status).toBe(400);
      expect(byRole.body.code).toBe('invalid_dpop_proof');
    });

    it('requireDpop holds on every way to a new access token: personal-token authenticate, client_credentials', async () => {
      const strict = await makeIdentity(s.url, admin, 'dpop-strict-2', ['Operator', 'Reader']);
      const pat = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: strict.token,
        json: { name: 'strict pat' },
      });
      expect(pat.status, pat.text).toBe(200);
      const set = await http(s.url, 'PUT', `/api/v1/identity/${strict.id}`, {
        token: admin,
        json: { requireDpop: true },
      });
      expect(set.status, set.text).toBe(200);
      const AUTH = '/api/v1/PersonalTokens/authenticate';
      const body = { username: 'dpop-strict-2', personalToken: pat.body.token };
      const noProof = await http(s.url, 'POST', AUTH, { json: body });
      expect(noProof.status, noProof.text).toBe(400);
      expect(noProof.body.code).toBe('invalid_dpop_proof');
      const withProof = await http(s.url, 'POST', AUTH, {
        headers: { dpop: await makeProof(key, { htm: 'POST', htu: s.url + AUTH }) },
        json: body,
      });
      expect(withProof.status, withProof.text).toBe(200);
      expect(claims(withProof.body.token).cnf).toEqual({ jkt });
      const TOKEN = '/api/v1/token';
      const cc = {
        grant_type: 'client_credentials',
        client_id: 'dpop-strict-2',
        client_secret: strict.token,
      };
      const ccNoProof = await http(s.url, 'POST', TOKEN, { json: cc });
      expect(ccNoProof.status, ccNoProof.text).toBe(400);
      expect(ccNoProof.body.error).toBe('invalid_dpop_proof');
      const ccProof = await http(s.url, 'POST', TOKEN, {
        headers: { dpop: await makeProof(key, { htm: 'POST', htu: s.url + TOKEN }) },
        json: cc,
      });
      expect(ccProof.status, ccProof.text).toBe(200);
      expect(ccProof.body.token_type).toBe('DPoP');
      expect(claims(ccProof.body.access_token).cnf).toEqual({ jkt });
    });

    it('every 401 carries WWW-Authenticate; error="invalid_token" only when a token was presented', async () => {
      const none = await http(s.url, 'GET', ME);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe(
        'Bearer realm="tokenward", DPoP realm="tokenward", algs="ES256 ES384 PS256 RS256 EdDSA"',
      );
      const bad = await http(s.url, 'GET', ME, { token: 'tw_not_a_token' });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe(
        'Bearer realm="tokenward", error="invalid_token", DPoP realm="tokenward", algs="ES256 ES384 PS256 RS256 EdDSA"',
      );
      const gateway = await http(s.url, 'GET', '/api/v1/auth/verify');
      expect(gateway.status).toBe(401);
      expect(gateway.headers.get('www-authenticate')).toMatch(/^Bearer realm="tokenward", DPoP /);
    });

    it('/auth/verify: a bound token with a proof for the original request (X-Original-*)', async () => {
      const pair = await boundPair();
      const ath = accessTokenHash(pair.access_token);
      const original = 'https://api.example.com/orders/7?x=1';
      const verify = async (
        proofFor: ProofOptions & { htm: string; htu: string },
        extra: Record<string, string> = {},
      ) =>
        fetch(`${s.url}/api/v1/auth/verify`, {
          headers: {
            authorization: `DPoP ${pair.access_token}`,
            dpop: await makeProof(key, { ath, ...proofFor }),
            'x-original-method': 'DELETE',
            'x-original-uri': '/orders/7?x=1',
            'x-original-url': original,
            ...extra,
          },
        });
      const ok = await verify({ htm: 'DELETE', htu: 'https://api.example.com/orders/7' });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('x-tokenward-identity')).toBe(String(op.id));
      expect((await verify({ htm: 'GET', htu: 'https://api.example.com/orders/7' })).status).toBe(401);
      expect((await verify({ htm: 'DELETE', htu: 'https://api.example.com/orders/8' })).status).toBe(401);
      // Without X-Original-URL: the Host the gateway passes on and X-Original-URI.
      const viaHost = await fetch(`${s.url}/api/v1/auth/verify`, {
        headers: {
          authorization: `DPoP ${pair.access_token}`,
          dpop: await makeProof(key, { ath, htm: 'DELETE', htu: `${s.url}/orders/7` }),
          'x-original-method': 'DELETE',
          'x-original-uri': '/orders/7',
        },
      });
      expect(viaHost.status).toBe(204);
    });
  });

  describe(`DPoP nonces (TOKENWARD_DPOP_NONCE) [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let op: { id: number; token: string; password: string };

    beforeAll(async () => {
      s = await startServer(freshStore(dialect), { config: { dpopNonce: true } });
      admin = await adminToken(s.url);
      op = await makeIdentity(s.url, admin, 'nonce-op', ['Operator', 'Reader']);
    });
    afterAll(async () => s?.close());

    it('oauth4webapi follows the use_dpop_nonce flow at the token endpoint and at the API', async () => {
      const as: oauth.AuthorizationServer = {
        issuer: s.url,
        token_endpoint: `${s.url}/api/v1/token/refresh`,
      };
      const client: oauth.Client = { client_id: 'nonce-test' };
      const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
      const opts = { DPoP, [oauth.allowInsecureRequests]: true };
      const grant = await http(s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: op.token },
        json: { tokenName: 'n' },
      });
      const rt = grant.body.tokenInfo.refreshToken as string;
      const first = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), rt, opts);
      expect(first.status).toBe(400);
      expect(first.headers.get('dpop-nonce')).toBeTruthy();
      expect(((await first.json()) as { code: string }).code).toBe('use_dpop_nonce');
      // (oauth4webapi's isDPoPNonceError needs the RFC 6749 §5.2 `error` member, which the token
      // endpoint's error shape adds.) The DPoP handle kept the nonce; the refresh token was not
      // spent by the refusal: the retry uses both.
      const retry = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), rt, opts);
      const tokens = await oauth.processRefreshTokenResponse(as, client, retry);
      expect(tokens.token_type).toBe('dpop');
      // The nonce oauth4webapi holds now is good at the API too.
      const me = await oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL(`${s.url}/api/v1/me`),
        new Headers(),
        null,
        opts,
      );
      expect(me.status).toBe(200);
    });

    it('a proof without a nonce or with a forged one is refused with a fresh DPoP-Nonce (401 at the API)', async () => {
      const key = await ES256();
      const refresh = await http(s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: op.token },
        json: { tokenName: 'n2' },
      });
      const rt = refresh.body.tokenInfo.refreshToken as string;
      const htu = `${s.url}/api/v1/token/refresh`;
      const noNonce = await http(s.url, 'POST', '/api/v1/token/refresh', {
        headers: { dpop: await makeProof(key, { htm: 'POST', htu }) },
        json: { refresh_token: rt },
      });
      expect(noNonce.status).toBe(400);
      expect(noNonce.body.code).toBe('use_dpop_nonce');
      const nonce = noNonce.headers.get('dpop-nonce')!;
      const forged = await http(s.url, 'POST', '/api/v1/token/refresh', {
        headers: { dpop: await makeProof(key, { htm: 'POST', htu, nonce: `${nonce.split('.')[0]}.AAAA` }) },
        json: { refresh_token: rt },
      });
      expect(forged.body.code).toBe('use_dpop_nonce');
      const ok = await http(s.url, 'POST', '/api/v1/token/refresh', {
        headers: { dpop: await makeProof(key, { htm: 'POST', htu, nonce }) },
        json: { refresh_token: rt },
      });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.headers.get('dpop-nonce')).toBeTruthy();
      const at = ok.body.access_token as string;
      const api = await fetch(`${s.url}/api/v1/me`, {
        headers: {
          authorization: `DPoP ${at}`,
          dpop: await makeProof(key, { htm: 'GET', htu: `${s.url}/api/v1/me`, ath: accessTokenHash(at) }),
        },
      });
      expect(api.status).toBe(401);
      expect(api.headers.get('www-authenticate')).toMatch(/error="use_dpop_nonce"$/);
      expect(api.headers.get('dpop-nonce')).toBeTruthy();
    });
  });
}
