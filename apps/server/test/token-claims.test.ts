// Issue 14 item 5: a token's scope, its RFC 9068 claims and its RFC 7662 introspection agree,
// audiences are configured ones or invalid_target, and the SDK still verifies the new tokens.
import { tmpdir } from 'node:os';
import { PermissionSet } from '@tokenward/core';
import fc from 'fast-check';
import { type CryptoKey, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenwardVerifier } from '../../../packages/client/src/verifier.js';
import { loadConfig } from '../src/config.js';
import { decodeJwt } from './access-jwt.js';
import { adminToken, DIALECTS, freshStore, http, signIn, startServer, type TestServer } from './helpers.js';
import { createRole, expectErrorShape, type Holder, identityWithToken, tokenCount } from './test-kit.js';

const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const BILLING = 'https://billing.example/api';

const ROLE_GRANTS: Record<string, string[]> = {
  Administrator: ['*'],
  Operator: ['tokens:grant', 'tokens:read', 'tokens:revoke', 'identities:read', 'custom:*'],
  Reader: ['tokens:read', 'identities:read', 'custom:*:read'],
  Delegator: ['tokens:exchange'],
  Accountant: ['billing:read', 'billing:write'],
  BillingReader: ['billing:read'],
};
const USER_ROLES = ['Operator', 'Reader', 'Accountant'];
const APP_ROLES = ['Reader', 'Delegator', 'BillingReader'];
const grantsOf = (roles: readonly string[]) => new PermissionSet(roles.flatMap((r) => ROLE_GRANTS[r]!));

describe('TOKENWARD_AUDIENCES', () => {
  const env = { TOKENWARD_DATA_DIR: tmpdir() };
  it('lists the default audience first, then each listed one once', () => {
    expect(loadConfig(env).audiences).toEqual(['tokenward']);
    expect(
      loadConfig({
        ...env,
        TOKENWARD_AUDIENCE: 'api',
        TOKENWARD_AUDIENCES: ` ${BILLING}, reports,,api,reports `,
      }).audiences,
    ).toEqual(['api', BILLING, 'reports']);
  });
  it('refuses an audience with spaces or control characters, naming the variable', () => {
    for (const bad of ['two words', 'tab\there', 'x'.repeat(257)]) {
      expect(() => loadConfig({ ...env, TOKENWARD_AUDIENCES: bad }), bad).toThrow(/TOKENWARD_AUDIENCES/);
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`token scopes, claims and introspection [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let user: Holder;
    let app: Holder;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect), { config: { audiences: ['tokenward', BILLING] } });
      admin = await adminToken(s.url);
      await createRole(s.url, admin, 'Delegator', ROLE_GRANTS.Delegator!);
      await createRole(s.url, admin, 'Accountant', ROLE_GRANTS.Accountant!);
      await createRole(s.url, admin, 'BillingReader', ROLE_GRANTS.BillingReader!);
      user = await identityWithToken(s.url, admin, 'claims-user', USER_ROLES);
      app = await identityWithToken(s.url, admin, 'claims-app', APP_ROLES);
    });
    afterAll(async () => s?.close());

    /** `app` acts for `user` (form-encoded, the OAuth way). */
    const exchange = (params: Record<string, string>, actor = app.token) =>
      http(s.url, 'POST', '/api/v1/token/exchange', {
        token: actor,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: EXCHANGE_GRANT,
          subject_token: user.token,
          ...params,
        }).toString(),
      });
    const introspect = async (token: string) => {
      const res = await http(s.url, 'POST', '/api/v1/token/introspect', { token: admin, json: { token } });
      expect(res.status, res.text).toBe(200);
      return res.body;
    };

    it('exchange scope=Reader: the answer, the JWT and introspection all say Reader; act, client_id, jti agree', async () => {
      const res = await exchange({ scope: 'Reader' });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        scope: 'Reader',
        token_type: 'Bearer',
        issued_token_type: ACCESS_TYPE,
      });
      const jwt = res.body.access_token as string;
      expect(decodeProtectedHeader(jwt).typ).toBe('at+jwt');
      const { payload } = decodeJwt(jwt);
      expect(payload).toMatchObject({
        iss: s.app.tw.config.issuer,
        aud: 'tokenward',
        sub: String(user.id),
        client_id: 'claims-app',
        scope: 'Reader',
        roles: ['Reader'],
        act: { sub: String(app.id), name: 'claims-app' },
      });
      for (const claim of ['exp', 'iat', 'jti']) expect(payload[claim], claim).toBeDefined();
      const info = await introspect(jwt);
      expect(info).toMatchObject({
        active: true,
        scope: 'Reader',
        client_id: 'claims-app',
        username: 'claims-user',
        token_type: 'Bearer',
        sub: String(user.id),
        aud: 'tokenward',
        iss: s.app.tw.config.issuer,
        exp: payload.exp,
        iat: payload.iat,
        jti: payload.jti,
        act: { sub: String(app.id), name: 'claims-app' },
        kind: 'access',
        roles: ['Reader'],
      });
      expect(info.token_id).toEqual(expect.any(Number));
      expect(String(info.token_id)).not.toBe(payload.jti);
      // The cached answer (second call) is the same text.
      expect(await introspect(jwt)).toEqual(info);
    });

    it('a delegated token without a scope: its roles are those it really holds, and its scope says them', async () => {
      const res = await exchange({});
      expect(res.status, res.text).toBe(200);
      // The app holds no tokens:grant (Operator) nor billing:write (Accountant): Reader alone is held in full.
      expect(res.body.scope).toBe('Reader');
      const { payload } = decodeJwt(res.body.access_token);
      expect(payload.scope).toBe('Reader');
      const info = await introspect(res.body.access_token);
      expect(info.roles).toEqual(['Reader']);
      expect(info.scope).toBe('Reader');
      expect(info.act).toEqual({ sub: String(app.id), name: 'claims-app' });
    });

    it('a token narrowed to a permission says that permission; a role and a permission together say both', async () => {
      for (const [asked, said] of [
        ['billing:read', 'billing:read'],
        ['Reader billing:read', 'Reader billing:read'],
        ['billing:read billing:read', 'billing:read'],
      ] as const) {
        const res = await exchange({ scope: asked });
        expect(res.status, res.text).toBe(200);
        expect(res.body.scope).toBe(said);
        expect(decodeJwt(res.body.access_token).payload.scope).toBe(said);
        expect((await introspect(res.body.access_token)).scope).toBe(said);
      }
    });

    it('a scope not held is 400 invalid_scope, an unknown one too, and neither mints anything', async () => {
      const before = await tokenCount(s.url, admin, user.id);
      for (const scope of [
        'Operator',
        'billing:write',
        'audit:read',
        'Administrator',
        'NoSuchRole',
        'billing:*',
      ]) {
        const res = await exchange({ scope });
        expect(res.status, `${scope}: ${res.text}`).toBe(400);
        expectErrorShape(res, 'invalid_scope');
      }
      expect(await tokenCount(s.url, admin, user.id)).toBe(before);
    });

    it('an access JWT of a refresh or of seed 004 names the identity itself as client_id and its roles as scope', async () => {
      const v4 = await http(s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: user.token },
        json: { tokenName: 'claims-v4' },
      });
      expect(v4.status, v4.text).toBe(200);
      const first = v4.body.tokenInfo.accessToken as string;
      const refreshed = await http(s.url, 'POST', '/api/v1/token/refresh', {
        json: { refresh_token: v4.body.tokenInfo.refreshToken },
      });
      expect(refreshed.status, refreshed.text).toBe(200);
      for (const jwt of [first, refreshed.body.access_token as string]) {
        expect(decodeProtectedHeader(jwt).typ).toBe('at+jwt');
        const { payload } = decodeJwt(jwt);
        expect(payload).toMatchObject({ client_id: 'claims-user', scope: 'Operator Reader Accountant' });
        expect(payload.act).toBeUndefined();
        const info = await introspect(jwt);
        expect(info).toMatchObject({ client_id: 'claims-user', scope: payload.scope, jti: payload.jti });
        expect(info.act).toBeUndefined();
      }
      // An opaque token: its kind, its roles as scope, no jti (it is no JWT), its id as token_id.
      const opaque = await introspect(user.token);
      expect(opaque).toMatchObject({
        token_type: 'Bearer',
        kind: 'app',
        client_id: 'claims-user',
        scope: 'Operator Reader Accountant',
        token_id: user.tokenId,
      });
      expect(opaque.jti).toBeUndefined();
    });

    it('audience / resource naming a configured audience become aud; that token is introspected, not accepted here', async () => {
      const named: Record<string, string>[] = [
        { audience: BILLING },
        { resource: BILLING },
        { audience: BILLING, resource: BILLING },
      ];
      for (const params of named) {
        const res = await exchange({ ...params, scope: 'billing:read' });
        expect(res.status, res.text).toBe(200);
        const { payload } = decodeJwt(res.body.access_token);
        expect(payload.aud).toBe(BILLING);
        const info = await introspect(res.body.access_token);
        expect(info).toMatchObject({ active: true, aud: BILLING, scope: 'billing:read' });
        // Meant for the billing API, not for Tokenward's own.
        const here = await http(s.url, 'GET', '/api/v1/me', { token: res.body.access_token });
        expect(here.status).toBe(401);
      }
      const audit = await http(s.url, 'GET', '/api/v1/audit?action=token.exchange&outcome=success&limit=1', {
        token: admin,
      });
      expect(audit.body.items[0].details).toMatchObject({ subject: user.id, audience: BILLING });
      // The default audience named explicitly is the default; an empty one is as if omitted (RFC 6749 §3.1).
      const defaults: Record<string, string>[] = [
        { audience: 'tokenward' },
        { audience: '' },
        { resource: '' },
      ];
      for (const params of defaults) {
        const own = await exchange(params);
        expect(own.status, own.text).toBe(200);
        expect(decodeJwt(own.body.access_token).payload.aud).toBe('tokenward');
        expect((await http(s.url, 'GET', '/api/v1/me', { token: own.body.access_token })).status).toBe(200);
      }
    });

    it('an audience or resource not configured is 400 invalid_target and mints nothing', async () => {
      const before = await tokenCount(s.url, admin, user.id);
      const refused: Record<string, string>[] = [
        { audience: 'https://elsewhere.example' },
        { resource: 'https://billing.example/api/' },
        { audience: BILLING, resource: 'tokenward' },
      ];
      for (const params of refused) {
        const res = await exchange(params);
        expect(res.status, `${JSON.stringify(params)}: ${res.text}`).toBe(400);
        expectErrorShape(res, 'invalid_target');
      }
      expect(await tokenCount(s.url, admin, user.id)).toBe(before);
    });

    it('requested_token_type: the access_token and jwt types are issued, anything else is 400 invalid_request', async () => {
      for (const type of [ACCESS_TYPE, JWT_TYPE]) {
        const res = await exchange({ requested_token_type: type });
        expect(res.status, res.text).toBe(200);
        expect(res.body.issued_token_type).toBe(type);
      }
      const before = await tokenCount(s.url, admin, user.id);
      for (const type of [
        'urn:ietf:params:oauth:token-type:refresh_token',
        'urn:ietf:params:oauth:token-type:saml2',
        'x',
      ]) {
        const res = await exchange({ requested_token_type: type });
        expect(res.status, res.text).toBe(400);
        expectErrorShape(res, 'invalid_request');
      }
      expect(await tokenCount(s.url, admin, user.id)).toBe(before);
    });

    it('a session-subject exchange (seed 002) has act and the app as client_id in introspection', async () => {
      const session = await signIn(s.url, 'claims-user', user.password);
      const secret = /tw_session=([^;]+)/.exec(session.cookie)![1]!;
      const res = await exchange({
        subject_token: secret,
        subject_token_type: 'urn:tokenward:params:oauth:token-type:session',
        scope: 'Reader',
      });
      expect(res.status, res.text).toBe(200);
      const info = await introspect(res.body.access_token);
      expect(info).toMatchObject({
        scope: 'Reader',
        client_id: 'claims-app',
        roles: ['Reader'],
        act: { sub: String(app.id), name: 'claims-app' },
      });
    });

    it('the SDK verifies the new access JWTs offline (typ at+jwt) and refuses our own key under another typ', async () => {
      const res = await exchange({ scope: 'Reader' });
      const sdk = new TokenwardVerifier({ baseUrl: s.url, permissions: {} });
      const outcome = await sdk.verifyToken(res.body.access_token);
      expect(outcome.ok).toBe(true);
      if (outcome.ok) {
        expect(outcome.auth).toMatchObject({
          verifiedBy: 'jwks',
          tokenType: 'access',
          identityId: user.id,
          roles: ['Reader'],
          act: { sub: String(app.id), name: 'claims-app' },
        });
        expect(outcome.auth.claims.client_id).toBe('claims-app');
      }
      // The same claims signed by the very key the JWKS publishes: accepted as at+jwt, refused as JWT.
      const signer = (
        s.app.tw.keys as unknown as { signer(): { kid: string; privateKey: CryptoKey } }
      ).signer();
      const { payload } = decodeJwt(res.body.access_token);
      const signed = (typ: string) =>
        new SignJWT(payload)
          .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ })
          .sign(signer.privateKey);
      expect((await sdk.verifyToken(await signed('at+jwt'))).ok).toBe(true);
      expect((await sdk.verifyToken(await signed('application/at+jwt'))).ok).toBe(true);
      expect(await s.app.tw.keys.verify(await signed('at+jwt'))).not.toBeNull();
      for (const typ of ['JWT', 'dpop+jwt']) {
        const refused = await sdk.verifyToken(await signed(typ));
        expect(refused.ok, typ).toBe(false);
        if (!refused.ok) expect(refused.refusal.status).toBe(401);
        // Tokenward's own verification refuses it too (RFC 9068 §4).
        expect(await s.app.tw.keys.verify(await signed(typ)), typ).toBeNull();
      }
      // An opaque token goes to introspection: its kind is the SDK's tokenType, as before.
      const withCredential = new TokenwardVerifier({ baseUrl: s.url, token: admin, permissions: {} });
      const opaque = await withCredential.verifyToken(user.token);
      expect(opaque.ok && opaque.auth.tokenType).toBe('app');
      const viaIntrospection = new TokenwardVerifier({
        baseUrl: s.url,
        token: admin,
        permissions: {},
        introspectJwts: true,
      });
      const jwtChecked = await viaIntrospection.verifyToken(res.body.access_token);
      expect(jwtChecked.ok && jwtChecked.auth.tokenType).toBe('access');
    });

    it('property: for random exchange scopes, answer, JWT and introspection scopes are equal and held by subject and actor', async () => {
      const items = [
        'Reader',
        'Operator',
        'Administrator',
        'Accountant',
        'BillingReader',
        'Delegator',
        'tokens:read',
        'tokens:grant',
        'identities:read',
        'billing:read',
        'billing:write',
        'audit:read',
        'reports:read',
      ];
      const subjectSet = grantsOf(USER_ROLES);
      const actorSet = grantsOf(APP_ROLES);
      const both = subjectSet.intersect(actorSet);
      const held = (item: string) =>
        item in ROLE_GRANTS
          ? subjectSet.covers(grantsOf([item])) && both.covers(grantsOf([item]))
          : both.has(item);
      let granted = 0;
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(items, { minLength: 0, maxLength: 4 }), async (asked) => {
          const res = await exchange(asked.length > 0 ? { scope: asked.join(' ') } : {});
          if (!asked.every(held)) {
            expect(res.status, res.text).toBe(400);
            expect(res.body.code).toBe('invalid_scope');
            return;
          }
          expect(res.status, res.text).toBe(200);
          granted++;
          const jwtScope = decodeJwt(res.body.access_token).payload.scope;
          const info = await introspect(res.body.access_token);
          expect(jwtScope).toBe(res.body.scope);
          expect(info.scope).toBe(res.body.scope);
          const said = (res.body.scope as string).split(' ').filter(Boolean);
          if (asked.length > 0) expect(new Set(said)).toEqual(new Set(asked));
          for (const item of said) expect(held(item), item).toBe(true);
        }),
        { numRuns: 40, seed: 14 },
      );
      expect(granted).toBeGreaterThan(0);
    });
  });
}
