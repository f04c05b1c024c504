import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  b64urlJson,
  decodeJwt,
  getJwks,
  type JwkSet,
  personalAccessJwt,
  verifyWithPyJwt,
  withFlippedSignatureByte,
  withPayload,
} from './access-jwt.js';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type Json,
  type StoreHandle,
  startServer,
  type TestServer,
} from './helpers.js';

/**
 * SPEC §2: access tokens are EdDSA JWTs with a kid, and the public keys at /.well-known/jwks.json
 * are enough for another service to verify them offline. Checked here with PyJWT, which shares
 * no code with Tokenward, and against forgeries that a careless verifier would accept.
 */

const ACCESS_TTL_S = 30 * 60;

/** The refusal every route gives a credential it cannot use (SPEC §4, STYLE "same 401"). */
async function expectRefused(s: TestServer, token: string): Promise<void> {
  const route = await http(s.url, 'GET', '/api/v1/identity', { token });
  expect(route.status, route.text).toBe(401);
  expect(route.body?.code, route.text).toBe('unauthenticated');
  expect(route.text).not.toContain(token);
  const gate = await http(s.url, 'GET', '/api/v1/auth/verify', { token });
  expect(gate.status, gate.text).toBe(401);
  expect(gate.headers.get('x-tokenward-identity')).toBeNull();
  expect(gate.headers.get('x-tokenward-roles')).toBeNull();
}

async function expectAccepted(s: TestServer, token: string): Promise<Json> {
  const route = await http(s.url, 'GET', '/api/v1/identity', { token });
  expect(route.status, route.text).toBe(200);
  const gate = await http(s.url, 'GET', '/api/v1/auth/verify', { token });
  expect(gate.status, gate.text).toBe(204);
  return gate;
}

for (const dialect of DIALECTS) {
  describe(`access JWTs and the JWKS [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let admin: string;
    let genuine: string;
    let patId: number;
    let jwks: JwkSet;

    beforeAll(async () => {
      store = freshStore(dialect);
      s = await startServer(store);
      admin = await adminToken(s.url);
      ({ jwt: genuine, patId } = await personalAccessJwt(s.url, admin));
      jwks = await getJwks(s.url);
    });
    afterAll(async () => s?.close());

    describe('verified by an independent implementation (PyJWT)', () => {
      it('PyJWT verifies an access JWT from a personal token with the published JWKS and reads the SPEC §2 claims', () => {
        const result = verifyWithPyJwt(jwks, genuine, s.url);
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
        if (!result.ok) return;
        const c = result.claims;
        expect(c.sub).toBe('1');
        expect(c.name).toBe('admin');
        expect(c.roles).toEqual(['Administrator']);
        expect(c.tid).toBe(patId);
        // Issue 14 item 5 (RFC 9068): scope lists scope strings (here its role), client_id names the client.
        expect(c.scope).toBe('Administrator');
        expect(c.client_id).toBe('admin');
        // The issuer is the server's URL (RFC 8414 §2, issue 14).
        expect(c.iss).toBe(s.url);
        expect(c.aud).toBe('tokenward');
        expect(typeof c.jti).toBe('string');
        expect(c.nbf).toBe(c.iat);
        expect(c.exp - c.iat).toBe(ACCESS_TTL_S);
        expect(Math.abs(c.exp - (Date.now() / 1000 + ACCESS_TTL_S))).toBeLessThan(60);
        // PyJWT read exactly what was signed.
        expect(c).toEqual(decodeJwt(genuine).payload);
      });

      it('PyJWT verifies an access JWT from the seed-004 access-token API, with its expiry as announced', async () => {
        const res = await http(s.url, 'POST', '/api/v4/accesstoken', {
          headers: { authtoken: admin },
          json: { tokenName: 'interop', tokenType: 'ALL' },
        });
        expect(res.status, res.text).toBe(200);
        const info = res.body.tokenInfo;
        const result = verifyWithPyJwt(jwks, info.accessToken, s.url);
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
        if (!result.ok) return;
        expect(result.claims).toMatchObject({ sub: '1', name: 'admin', roles: ['Administrator'] });
        expect(typeof result.claims.tid).toBe('number');
        expect(result.claims.exp).toBe(info.tokenExpiryTimestamp);
      });

      it('PyJWT refuses a token whose payload was altered after signing', () => {
        const { payload } = decodeJwt(genuine);
        for (const altered of [
          { ...payload, sub: '2' },
          { ...payload, roles: ['Administrator', 'Operator'] },
          { ...payload, exp: payload.exp + 365 * 86_400 },
        ]) {
          const result = verifyWithPyJwt(jwks, withPayload(genuine, altered), s.url);
          expect(result.ok, JSON.stringify(result)).toBe(false);
          if (!result.ok) expect(result.error).toMatch(/^InvalidSignatureError/);
        }
      });
    });

    describe('forgeries are refused by routes, by /auth/verify, by the key ring and by PyJWT', () => {
      // Each forgery starts from the genuine token's claims, so only the forged part differs.
      const forgeries: Record<string, () => Promise<string>> = {
        'alg none with an empty signature': async () =>
          `${b64urlJson({ alg: 'none', typ: 'JWT' })}.${genuine.split('.')[1]}.`,
        'alg none carrying the real kid': async () =>
          `${b64urlJson({ alg: 'none', kid: decodeJwt(genuine).header.kid, typ: 'at+jwt' })}.${genuine.split('.')[1]}.`,
        'HS256 keyed with the published public key (algorithm confusion)': async () => {
          const { header, payload } = decodeJwt(genuine);
          const publicJwk = jwks.keys.find((k) => k.kid === header.kid)!;
          return new SignJWT(payload)
            .setProtectedHeader({ alg: 'HS256', kid: header.kid, typ: 'at+jwt' })
            .sign(Buffer.from(String(publicJwk.x), 'base64url'));
        },
        'signed by another Ed25519 key under the real kid': async () => {
          const { header, payload } = decodeJwt(genuine);
          const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
          return new SignJWT(payload)
            .setProtectedHeader({ alg: 'EdDSA', kid: header.kid, typ: 'at+jwt' })
            .sign(privateKey);
        },
        'signed by another Ed25519 key under an unknown kid': async () => {
          const { payload } = decodeJwt(genuine);
          const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
          return new SignJWT(payload)
            .setProtectedHeader({ alg: 'EdDSA', kid: '20260101-notarealkid', typ: 'at+jwt' })
            .sign(privateKey);
        },
        'no kid at all': async () => {
          const { payload } = decodeJwt(genuine);
          const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
          return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).sign(privateKey);
        },
        'payload altered (another subject, more roles), original signature kept': async () =>
          withPayload(genuine, {
            ...decodeJwt(genuine).payload,
            sub: '2',
            roles: ['Administrator', 'Operator'],
          }),
        'one signature byte flipped': async () => withFlippedSignatureByte(genuine),
        'signature stripped': async () => `${genuine.split('.').slice(0, 2).join('.')}.`,
      };

      it('the genuine token passes every one of these checks (so the refusals below mean something)', async () => {
        await expectAccepted(s, genuine);
        expect(await s.app.tw.keys.verify(genuine)).not.toBeNull();
        expect(verifyWithPyJwt(jwks, genuine, s.url).ok).toBe(true);
      });

      for (const [name, forge] of Object.entries(forgeries)) {
        it(`a token ${name} is refused with 401`, async () => {
          const forged = await forge();
          expect(forged).not.toBe(genuine);
          await expectRefused(s, forged);
          // Routes refuse a JWT that is not in the store before any signature check; the key ring
          // is what an offline verifier relies on, so it must refuse the forgery on its own too.
          expect(await s.app.tw.keys.verify(forged)).toBeNull();
          const py = verifyWithPyJwt(jwks, forged, s.url);
          expect(py.ok, JSON.stringify(py)).toBe(false);
          // The genuine token still works after the attempt.
          await expectAccepted(s, genuine);
        });
      }
    });

    describe('tokens meant for another audience or issuer, signed with our own key', () => {
      let otherAudience: TestServer;
      let otherIssuer: TestServer;

      beforeAll(async () => {
        // Same store, hence the same signing key: only `aud` / `iss` differ from ours.
        otherAudience = await startServer(store, { config: { audience: 'other', issuer: s.url } });
        otherIssuer = await startServer(store, { config: { issuer: 'someone-else' } });
      });
      afterAll(async () => {
        await otherAudience?.stop();
        await otherIssuer?.stop();
      });

      it('a token whose aud is another service is refused, though its signature is ours', async () => {
        const { jwt } = await personalAccessJwt(otherAudience.url, admin);
        const { header, payload } = decodeJwt(jwt);
        expect(payload.aud).toBe('other');
        expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
        // The instance that issued it, configured for that audience, accepts it.
        await expectAccepted(otherAudience, jwt);
        await expectRefused(s, jwt);
        expect(await s.app.tw.keys.verify(jwt)).toBeNull();
        const py = verifyWithPyJwt(jwks, jwt, s.url);
        expect(py.ok).toBe(false);
        if (!py.ok) expect(py.error).toMatch(/^InvalidAudienceError/);
      });

      it('a token whose iss is another issuer is refused, though its signature is ours', async () => {
        const { jwt } = await personalAccessJwt(otherIssuer.url, admin);
        const { header, payload } = decodeJwt(jwt);
        expect(payload.iss).toBe('someone-else');
        expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
        await expectAccepted(otherIssuer, jwt);
        await expectRefused(s, jwt);
        expect(await s.app.tw.keys.verify(jwt)).toBeNull();
        const py = verifyWithPyJwt(jwks, jwt, s.url);
        expect(py.ok).toBe(false);
        if (!py.ok) expect(py.error).toMatch(/^InvalidIssuerError/);
      });
    });

    describe('the JWKS publishes public parts only', () => {
      it('every key is an Ed25519 public JWK (kty, crv, x, alg, use, kid) and nothing else: no d', async () => {
        const res = await http(s.url, 'GET', '/.well-known/jwks.json');
        expect(res.status).toBe(200);
        expect(res.text).not.toMatch(/"d"\s*:/);
        expect(res.body.keys.length).toBeGreaterThan(0);
        for (const key of res.body.keys) {
          expect(key).not.toHaveProperty('d');
          expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
          expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
          expect(key.kid).toEqual(expect.any(String));
          expect(key.kid.length).toBeGreaterThan(0);
          // An Ed25519 public key is 32 bytes.
          expect(Buffer.from(key.x, 'base64url')).toHaveLength(32);
        }
        const kids = res.body.keys.map((k: { kid: string }) => k.kid);
        expect(new Set(kids).size).toBe(kids.length);
      });

      it('is served without a credential, as JSON, and names the kid that access tokens carry', async () => {
        const res = await http(s.url, 'GET', '/.well-known/jwks.json');
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.headers.get('cache-control')).toMatch(/public/);
        const { header } = decodeJwt(genuine);
        expect(header.alg).toBe('EdDSA');
        expect(res.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
      });
    });
  });

  describe(`an access JWT expires [${dialect}]`, () => {
    let s: TestServer;
    let now = Date.now();
    const clock = () => now;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect), { clock });
    });
    afterAll(async () => s?.close());

    it('is accepted until its exp and refused after it, by routes, by /auth/verify and by the key ring', async () => {
      const admin = await adminToken(s.url);
      const { jwt } = await personalAccessJwt(s.url, admin);
      expect(decodeJwt(jwt).payload.exp).toBe(Math.floor(now / 1000) + ACCESS_TTL_S);
      await expectAccepted(s, jwt);
      now += 29 * 60_000;
      await expectAccepted(s, jwt);
      now += 2 * 60_000;
      await expectRefused(s, jwt);
      expect(await s.app.tw.keys.verify(jwt)).toBeNull();
      // The app token it came from is long-lived and still works: only the JWT expired.
      expect((await http(s.url, 'GET', '/api/v1/identity', { token: admin })).status).toBe(200);
    });
  });
}
