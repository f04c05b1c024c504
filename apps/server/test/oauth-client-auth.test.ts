// Client authentication, the token endpoint's refusals, client keys and HTTP Basic on every
// route (issue 14 items 2–4): allowed and refused callers, bad input changing nothing.
import { JWT_BEARER_ASSERTION, OAUTH_PATHS, TOKEN_EXCHANGE_GRANT } from '@tokenward/core';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  makeIdentity,
  type StoreHandle,
  startApp,
  type TestServer,
} from './helpers.js';
import { storeDigest } from './store-digest.js';

const form = (params: Record<string, string>, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params).toString(),
});
const basic = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});

for (const dialect of DIALECTS) {
  describe(`client authentication and HTTP Basic [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let admin: string;
    let op: { id: number; token: string };
    let reader: { id: number; token: string };
    let pat: string;
    const digest = () => storeDigest(s.app.tw.store.db);

    beforeAll(async () => {
      store = freshStore(dialect);
      s = await startApp(store);
      admin = await adminToken(s.url);
      op = await makeIdentity(s.url, admin, 'op', ['Operator']);
      reader = await makeIdentity(s.url, admin, 'reader', ['Reader']);
      const p = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: op.token,
        json: { name: 'pat' },
      });
      pat = p.body.token;
    });

    afterAll(async () => {
      await s?.close();
    });

    it('a wrong secret, an unknown client or another identity’s token: 401 invalid_client with a Basic challenge, nothing stored', async () => {
      const before = await digest();
      for (const [id, secret] of [
        ['op', 'tw_app_wrong'],
        ['nobody', op.token],
        ['reader', op.token],
        ['op', pat], // a personal token is no client secret
      ] as const) {
        for (const req of [
          form({ grant_type: 'client_credentials' }, basic(id, secret)),
          form({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
        ]) {
          const res = await http(s.url, 'POST', OAUTH_PATHS.token, req);
          expect(res.status).toBe(401);
          expect(res.body).toMatchObject({
            error: 'invalid_client',
            code: 'invalid_client',
            errorCode: 2002,
          });
          expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="tokenward"/);
          expect(res.headers.get('cache-control')).toBe('no-store');
          expect(res.text).not.toContain(secret);
        }
      }
      expect(await digest()).toBe(before);
    });

    it('property: any client_id and secret combination yields the secret’s own identity or invalid_client', async () => {
      const ids = [
        'op',
        'OP',
        String(op.id),
        'reader',
        String(reader.id),
        'admin',
        'nobody',
        'op@example.com',
      ];
      const secrets = [op.token, reader.token, pat, 'tw_app_garbage'];
      const owner = new Map<string, { id: number; refs: string[] }>([
        [op.token, { id: op.id, refs: ['op', String(op.id)] }],
        [reader.token, { id: reader.id, refs: ['reader', String(reader.id)] }],
      ]);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...ids),
          fc.constantFrom(...secrets),
          fc.boolean(),
          async (id, secret, viaBasic) => {
            const res = await http(
              s.url,
              'POST',
              OAUTH_PATHS.token,
              viaBasic
                ? form({ grant_type: 'client_credentials' }, basic(id, secret))
                : form({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
            );
            const expected = owner.get(secret);
            if (expected?.refs.includes(id.toLowerCase())) {
              expect(res.status).toBe(200);
              const sub = JSON.parse(
                Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString(),
              ).sub;
              expect(sub).toBe(String(expected?.id));
            } else {
              expect(res.status).toBe(401);
              expect(res.body.error).toBe('invalid_client');
            }
          },
        ),
        { numRuns: 30 },
      );
    });

    it('two client authentication methods at once: 400 invalid_request', async () => {
      const res = await http(
        s.url,
        'POST',
        OAUTH_PATHS.token,
        form(
          { grant_type: 'client_credentials', client_id: 'op', client_secret: op.token },
          basic('op', op.token),
        ),
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      const bearerAndPost = await http(s.url, 'POST', OAUTH_PATHS.token, {
        token: op.token,
        json: { grant_type: 'client_credentials', client_id: 'op', client_secret: op.token },
      });
      expect(bearerAndPost.status).toBe(400);
    });

    it('Bearer stays a client authentication method; a bad Bearer is 401 with a Bearer challenge', async () => {
      const ok = await http(s.url, 'POST', OAUTH_PATHS.token, {
        token: op.token,
        json: { grant_type: 'client_credentials', scope: 'Reader' },
      });
      expect(ok.status).toBe(200);
      expect(ok.body.scope).toBe('Reader');
      const bad = await http(s.url, 'POST', OAUTH_PATHS.token, {
        token: 'tw_app_nope',
        json: { grant_type: 'client_credentials' },
      });
      expect(bad.status).toBe(401);
      expect(bad.body.error).toBe('invalid_client');
      expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer /);
    });

    it('the token endpoint refuses bad input with RFC 6749 errors and changes nothing', async () => {
      const before = await digest();
      const cases: Array<[Record<string, string>, number, string]> = [
        [{}, 400, 'invalid_request'],
        [{ grant_type: 'password', username: 'op', password: 'x' }, 400, 'unsupported_grant_type'],
        [{ grant_type: 'authorization_code', code: 'x' }, 400, 'unsupported_grant_type'],
        [{ grant_type: 'refresh_token' }, 400, 'invalid_request'],
        [{ grant_type: 'refresh_token', refresh_token: 'tw_rt_nope' }, 400, 'invalid_grant'],
        [{ grant_type: 'client_credentials', surprise: '1' }, 400, 'invalid_request'],
        [{ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: op.token }, 401, 'invalid_client'],
        [{ grant_type: 'client_credentials' }, 401, 'invalid_client'],
      ];
      for (const [params, status, error] of cases) {
        const res = await http(s.url, 'POST', OAUTH_PATHS.token, form(params));
        expect(res.status, JSON.stringify(params)).toBe(status);
        expect(res.body.error).toBe(error);
        expect(res.body).toHaveProperty('errorCode');
        expect(res.body).toHaveProperty('requestId');
        expect(res.body.error_description).toBe(res.body.errorMessage);
        expect(res.headers.get('pragma')).toBe('no-cache');
      }
      // A client that asks for more than it holds.
      const more = await http(
        s.url,
        'POST',
        OAUTH_PATHS.token,
        form({ grant_type: 'client_credentials', scope: 'Administrator' }, basic('op', op.token)),
      );
      expect(more.status).toBe(400);
      expect(more.body.error).toBe('invalid_scope');
      expect(await digest()).toBe(before);
    });

    // Regression (issue 14): the exchange ignored client_secret and issued a token without `act`.
    it('token exchange needs an authenticated client; client_secret_post is that client', async () => {
      const anonymous = await http(
        s.url,
        'POST',
        '/api/v1/token/exchange',
        form({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: op.token, client_id: 'admin' }),
      );
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error).toBe('invalid_client');
      const adminApp = await http(s.url, 'GET', '/api/v1/me', { token: admin });
      const asAdmin = await http(
        s.url,
        'POST',
        '/api/v1/token/exchange',
        form({
          grant_type: TOKEN_EXCHANGE_GRANT,
          subject_token: op.token,
          client_id: 'admin',
          client_secret: admin,
        }),
      );
      expect(asAdmin.status).toBe(200);
      const claims = JSON.parse(Buffer.from(asAdmin.body.access_token.split('.')[1], 'base64url').toString());
      expect(claims.act).toMatchObject({ sub: String(adminApp.body.identity.id) });
      // A Reader client may not act for another identity (no tokens:exchange).
      const refused = await http(
        s.url,
        'POST',
        OAUTH_PATHS.token,
        form({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: op.token }, basic('reader', reader.token)),
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('unauthorized_client');
    });

    it('an authenticated client refreshes only its own refresh tokens, and a refused one is not spent', async () => {
      const v4 = await http(s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: op.token },
        json: { tokenName: 'rt', tokenType: 'DEFAULT' },
      });
      const rt = v4.body.tokenInfo.refreshToken;
      const other = await http(
        s.url,
        'POST',
        OAUTH_PATHS.token,
        form({ grant_type: 'refresh_token', refresh_token: rt }, basic('reader', reader.token)),
      );
      expect(other.status).toBe(400);
      expect(other.body.error).toBe('invalid_grant');
      const own = await http(
        s.url,
        'POST',
        OAUTH_PATHS.token,
        form({ grant_type: 'refresh_token', refresh_token: rt }, basic('op', op.token)),
      );
      expect(own.status).toBe(200);
      // The alias keeps its seed-004 fields.
      expect(own.body).toHaveProperty('refreshToken');
    });

    it('introspection needs an authenticated client; revocation keeps working without one', async () => {
      const none = await http(s.url, 'POST', OAUTH_PATHS.introspection, form({ token: op.token }));
      expect(none.status).toBe(401);
      expect(none.body.error).toBe('invalid_client');
      const post = await http(
        s.url,
        'POST',
        OAUTH_PATHS.introspection,
        form({ token: op.token, client_id: 'reader', client_secret: reader.token }),
      );
      expect(post.body).toMatchObject({ active: true, sub: String(op.id) });
      const victim = await makeIdentity(s.url, admin, `victim-${Math.random().toString(36).slice(2, 8)}`, [
        'Reader',
      ]);
      const wrongClient = await http(
        s.url,
        'POST',
        OAUTH_PATHS.revocation,
        form({ token: victim.token }, basic('reader', 'tw_app_wrong')),
      );
      expect(wrongClient.status).toBe(401);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: victim.token })).status).toBe(200);
      // RFC 7009 as documented: holding a token is the right to revoke it.
      const anonymous = await http(s.url, 'POST', OAUTH_PATHS.revocation, form({ token: victim.token }));
      expect(anonymous.status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: victim.token })).status).toBe(401);
    });

    describe('client keys (private_key_jwt)', () => {
      it('who may register keys: oneself (tokens:grant) or tokens:grant-any; a Reader for another is refused', async () => {
        const { publicKey } = await generateKeyPair('ES256');
        const keys = [{ ...(await exportJWK(publicKey)), kid: 'a' }];
        const before = await digest();
        expect((await http(s.url, 'PUT', `/api/v1/identity/${op.id}/jwks`, { json: { keys } })).status).toBe(
          401,
        );
        const r = await http(s.url, 'PUT', `/api/v1/identity/${op.id}/jwks`, {
          token: reader.token,
          json: { keys },
        });
        expect(r.status).toBe(403);
        expect(
          (await http(s.url, 'GET', `/api/v1/identity/${op.id}/jwks`, { token: reader.token })).status,
        ).toBe(404);
        expect(await digest()).toBe(before);
        const own = await http(s.url, 'PUT', `/api/v1/identity/${op.id}/jwks`, {
          token: op.token,
          json: { keys },
        });
        expect(own.status).toBe(200);
        expect(own.body.roles).toEqual(['Operator']);
        const got = await http(s.url, 'GET', `/api/v1/identity/${op.id}/jwks`, { token: op.token });
        expect(got.body.keys[0].kid).toBe('a');
        // An Operator cannot register a key for the administrator (it could then act as one).
        const adminId = (await http(s.url, 'GET', '/api/v1/me', { token: admin })).body.identity.id;
        expect(
          (await http(s.url, 'PUT', `/api/v1/identity/${adminId}/jwks`, { token: op.token, json: { keys } }))
            .status,
        ).toBe(403);
      });

      it('private keys, symmetric keys and malformed keys are refused and nothing is stored', async () => {
        const { privateKey } = await generateKeyPair('ES256', { extractable: true });
        const before = await digest();
        for (const keys of [
          [await exportJWK(privateKey)],
          [{ kty: 'oct', k: 'c2VjcmV0' }],
          [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'BBBB' }],
          [],
        ]) {
          const res = await http(s.url, 'PUT', `/api/v1/identity/${reader.id}/jwks`, {
            token: admin,
            json: { keys },
          });
          expect(res.status, JSON.stringify(keys)).toBe(400);
          expect(res.text).not.toContain('"d"');
        }
        expect(await digest()).toBe(before);
      });

      it('an assertion with the wrong aud, a long exp, or no jti is refused', async () => {
        const { publicKey, privateKey } = await generateKeyPair('ES256');
        await http(s.url, 'PUT', `/api/v1/identity/${reader.id}/jwks`, {
          token: admin,
          json: { keys: [{ ...(await exportJWK(publicKey)), kid: 'r1' }] },
        });
        const aud = s.app.tw.config.publicUrl;
        const sign = (claims: Record<string, unknown>, exp: string, jti = true) => {
          const jwt = new SignJWT(claims)
            .setProtectedHeader({ alg: 'ES256', kid: 'r1' })
            .setIssuer('reader')
            .setSubject('reader')
            .setIssuedAt()
            .setExpirationTime(exp);
          if (jti) jwt.setJti(Math.random().toString(36));
          return jwt.sign(privateKey);
        };
        const attempt = async (assertion: string) =>
          http(
            s.url,
            'POST',
            OAUTH_PATHS.token,
            form({
              grant_type: 'client_credentials',
              client_assertion_type: JWT_BEARER_ASSERTION,
              client_assertion: assertion,
            }),
          );
        expect((await attempt(await sign({ aud }, '60s'))).status).toBe(200);
        expect((await attempt(await sign({ aud: 'https://elsewhere.example' }, '60s'))).status).toBe(401);
        expect((await attempt(await sign({ aud }, '1h'))).status).toBe(401);
        expect((await attempt(await sign({ aud }, '60s', false))).status).toBe(401);
        const wrongType = await http(
          s.url,
          'POST',
          OAUTH_PATHS.token,
          form({
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:example:other',
            client_assertion: await sign({ aud }, '60s'),
          }),
        );
        expect(wrongType.status).toBe(401);
      });
    });
  });
}
