import {
  adminToken,
  freshStore,
  http,
  makeIdentity,
  startServer,
  type TestServer,
} from '../../../../apps/server/test/helpers.js';

/**
 * A Tokenward with a fake clock, custom roles and identities for the middleware suites:
 * `service` (Reader: introspection and the role map), `alice` (BillingReader), `bob`
 * (BillingClerk).
 */
export interface Fixture {
  server: TestServer;
  url: string;
  admin: string;
  service: string;
  alice: { id: number; token: string; password: string };
  bob: { id: number; token: string; password: string };
  /** Shared by the server and the verifier: advance with `advance(ms)`. */
  clock: () => number;
  advance(ms: number): void;
  /** A fresh access JWT for the holder of `appToken` (personal token, then seed-003 authenticate). */
  accessJwt(appToken: string, username: string): Promise<{ jwt: string; patId: number }>;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const server = await startServer(freshStore('sqlite'), { clock });
  const url = server.url;
  const admin = await adminToken(url);
  for (const [name, permissions] of [
    ['BillingReader', ['billing:read']],
    ['BillingClerk', ['billing:read', 'billing:write']],
  ] as const) {
    const res = await http(url, 'POST', '/api/v1/role', { token: admin, json: { name, permissions } });
    if (res.status !== 201) throw new Error(`role: ${res.status} ${res.text}`);
  }
  const service = (await makeIdentity(url, admin, 'billing-service', ['Reader'])).token;
  const alice = await makeIdentity(url, admin, 'alice', ['BillingReader']);
  const bob = await makeIdentity(url, admin, 'bob', ['BillingClerk']);
  return {
    server,
    url,
    admin,
    service,
    alice,
    bob,
    clock,
    advance(ms) {
      offsetMs += ms;
    },
    async accessJwt(appToken, username) {
      const pat = await http(url, 'POST', '/api/v1/PersonalTokens', {
        token: appToken,
        json: { name: 'jwt' },
      });
      if (pat.status !== 200) throw new Error(`pat: ${pat.status} ${pat.text}`);
      const q = new URLSearchParams({ username, personalToken: pat.body.token });
      const auth = await http(url, 'POST', `/api/v1/PersonalTokens/authenticate?${q}`);
      if (auth.status !== 200) throw new Error(`authenticate: ${auth.status} ${auth.text}`);
      return { jwt: auth.body.token as string, patId: pat.body.id as number };
    },
    close: () => server.close(),
  };
}
