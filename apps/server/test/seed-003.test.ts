import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  makeIdentity,
  startApp,
  type TestServer,
} from './helpers.js';

for (const dialect of DIALECTS) {
  describe(`seed 003: personal access tokens [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let user: { id: number; token: string };

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      user = await makeIdentity(s.url, admin, 'jane', ['Operator']);
      // The username in the seed is an email with special characters.
      await http(s.url, 'PUT', `/api/v1/identity/${user.id}`, {
        token: admin,
        json: { email: 'your_username+ops@example.com', firstName: 'Jane', lastName: 'Doe' },
      });
    });
    afterAll(async () => s?.close());

    const createPat = async (token: string, name = 'automation') => {
      const res = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token,
        json: { name, description: 'for my scripts' },
      });
      expect(res.status).toBe(200);
      return res.body;
    };

    it('creating a personal token shows its value once, then lists it by name, status and hint only', async () => {
      const pat = await createPat(user.token);
      expect(pat.token).toMatch(/^tw_pat_[A-Za-z0-9_-]+$/);
      expect(pat).toMatchObject({
        kind: 'personal',
        name: 'automation',
        description: 'for my scripts',
        status: 'Active',
      });
      const days = (Date.parse(pat.expiration) - Date.parse(pat.created)) / 86_400_000;
      expect(days).toBeCloseTo(90, 3);
      const list = await http(s.url, 'GET', '/api/v1/PersonalTokens', { token: user.token });
      expect(list.status).toBe(200);
      expect(list.text).not.toContain(pat.token);
      expect(list.body.items.map((t: { id: number }) => t.id)).toContain(pat.id);
    });

    it('the seed request works as written: POST ?username=…&personalToken=… with a URL-encoded email', async () => {
      const pat = await createPat(user.token);
      const username = encodeURIComponent('your_username+ops@example.com');
      expect(username).toBe('your_username%2Bops%40example.com');
      const res = await http(
        s.url,
        'POST',
        `/api/v1/PersonalTokens/authenticate?username=${username}&personalToken=${encodeURIComponent(pat.token)}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({
        userId: String(user.id),
        email: 'your_username+ops@example.com',
        firstName: 'Jane',
        lastName: 'Doe',
        fullName: 'Jane Doe',
        enabled: true,
      });
      expect(Date.parse(res.body.tokenExpires) - Date.now()).toBeGreaterThan(25 * 60_000);
      expect(Date.parse(res.body.tokenExpires) - Date.now()).toBeLessThanOrEqual(30 * 60_000 + 5000);
      // Step 2 of the seed: the bearer token on other calls.
      const use = await http(s.url, 'GET', '/api/v1/apptoken', { token: res.body.token });
      expect(use.status).toBe(200);
    });

    it('authenticate also takes a JSON or a form body, and the identity name instead of the email', async () => {
      const pat = await createPat(user.token);
      const json = await http(s.url, 'POST', '/api/v1/PersonalTokens/authenticate', {
        json: { username: 'JANE', personalToken: pat.token },
      });
      expect(json.status).toBe(200);
      const form = await http(s.url, 'POST', '/api/v1/PersonalTokens/authenticate', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          username: 'your_username+ops@example.com',
          personalToken: pat.token,
        }).toString(),
      });
      expect(form.status).toBe(200);
      expect(form.body.user.userId).toBe(String(user.id));
    });

    it('the path matches case-insensitively, as the seed products spell it', async () => {
      const pat = await createPat(user.token);
      const res = await http(
        s.url,
        'POST',
        `/api/v1/personaltokens/Authenticate?username=jane&personalToken=${pat.token}`,
      );
      expect(res.status).toBe(200);
    });

    it("a wrong token, another user's token or an unknown user get the same 401", async () => {
      const pat = await createPat(user.token);
      const other = await makeIdentity(s.url, admin, 'other-user', ['Reader']);
      const otherPat = await createPat(other.token);
      const answers = await Promise.all([
        http(
          s.url,
          'POST',
          `/api/v1/PersonalTokens/authenticate?username=jane&personalToken=${otherPat.token}`,
        ),
        http(s.url, 'POST', `/api/v1/PersonalTokens/authenticate?username=nobody&personalToken=${pat.token}`),
        http(
          s.url,
          'POST',
          `/api/v1/PersonalTokens/authenticate?username=jane&personalToken=${pat.token.slice(0, -1)}${pat.token.endsWith('x') ? 'y' : 'x'}`,
        ),
      ]);
      for (const a of answers) {
        expect(a.status).toBe(401);
        expect(a.body.code).toBe('invalid_credentials');
        expect(a.text).not.toContain(pat.token);
      }
    });

    it('revoking a personal token kills every access token obtained with it', async () => {
      const pat = await createPat(user.token);
      const auth = await http(
        s.url,
        'POST',
        `/api/v1/PersonalTokens/authenticate?username=jane&personalToken=${pat.token}`,
      );
      const bearer = auth.body.token as string;
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: bearer })).status).toBe(200);
      const revoked = await http(s.url, 'DELETE', `/api/v1/PersonalTokens/${pat.id}`, { token: user.token });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ status: 'Revoked', revoked: true });
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: bearer })).status).toBe(401);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: pat.token })).status).toBe(401);
      const again = await http(
        s.url,
        'POST',
        `/api/v1/PersonalTokens/authenticate?username=jane&personalToken=${pat.token}`,
      );
      expect(again.status).toBe(401);
    });

    it("personal tokens are one's own: renaming or revoking someone else's is a 404", async () => {
      const pat = await createPat(user.token);
      const renamed = await http(s.url, 'PATCH', `/api/v1/PersonalTokens/${pat.id}`, {
        token: user.token,
        json: { name: 'renamed', description: 'new' },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'renamed', description: 'new' });
      expect(
        (
          await http(s.url, 'PATCH', `/api/v1/PersonalTokens/${pat.id}`, {
            token: admin,
            json: { name: 'x' },
          })
        ).status,
      ).toBe(404);
      expect((await http(s.url, 'DELETE', `/api/v1/PersonalTokens/${pat.id}`, { token: admin })).status).toBe(
        404,
      );
      expect((await http(s.url, 'GET', '/api/v1/PersonalTokens')).status).toBe(401);
    });

    it('repeated failures are rate-limited per username with 429 and Retry-After', async () => {
      const victim = await makeIdentity(s.url, admin, 'victim', ['Reader']);
      let last = await http(
        s.url,
        'POST',
        '/api/v1/PersonalTokens/authenticate?username=victim&personalToken=wrong-token-value',
      );
      for (let i = 0; i < 15 && last.status !== 429; i++) {
        last = await http(
          s.url,
          'POST',
          '/api/v1/PersonalTokens/authenticate?username=victim&personalToken=wrong-token-value',
        );
      }
      expect(last.status).toBe(429);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last.body.code).toBe('rate_limited');
      const audit = await http(s.url, 'GET', '/api/v1/audit?action=token.authenticate&outcome=failure', {
        token: admin,
      });
      expect(audit.body.total).toBeGreaterThanOrEqual(10);
      void victim;
    });
  });
}
