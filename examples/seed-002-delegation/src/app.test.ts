import type { AddressInfo } from 'node:net';
import { TokenwardClient } from '@tokenward/client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freshStore, startServer, type TestServer } from '../../../apps/server/test/helpers.js';
import { buildDashboard } from './app.js';

// Seed 002: an app calls /api/v1/usersession for the user who signed in to it, with a
// short-lived delegated token obtained by token exchange — no token made or pasted by hand.
describe('examples/seed-002-delegation beside a real Tokenward', () => {
  let tw: TestServer;
  let app: import('node:http').Server;
  let base: string;
  let appToken: string;
  const password = 'dana-password-123';

  beforeAll(async () => {
    tw = await startServer(freshStore('sqlite'));
    const admin = new TokenwardClient({ baseUrl: tw.url, token: await adminToken(tw.url) });
    // Acting for its users needs tokens:exchange (SPEC §10): given to the app by a custom role.
    await admin.roles.create({ name: 'Delegator', permissions: ['tokens:exchange'] });
    const dashboard = await admin.identities.create({
      name: 'dashboard-app',
      roles: ['Operator', 'Delegator'],
    });
    appToken = (await admin.appTokens.grant({}, dashboard.id)).token;
    await admin.identities.create({ name: 'dana', roles: ['Reader'], password });
    app = buildDashboard({ tokenwardUrl: tw.url, appToken, scope: 'Reader' }).listen(0, '127.0.0.1');
    await new Promise((resolve) => app.once('listening', resolve));
    base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => app?.close(resolve));
    await tw?.close();
  });

  it("shows the signed-in user's own sessions through a delegated, short-lived token", async () => {
    expect((await fetch(`${base}/sessions`)).status).toBe(401);
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dana', password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    expect(cookie).toMatch(/^app_sid=/);

    const res = await fetch(`${base}/sessions`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { username: string; sessions: Array<{ identityId: number }> };
    expect(body.username).toBe('dana');
    expect(body.sessions.length).toBeGreaterThan(0);
    const dana = (await new TokenwardClient({ baseUrl: tw.url, token: appToken }).identities.findByName(
      'dana',
    ))!;
    expect(body.sessions.every((s) => s.identityId === dana.id)).toBe(true);

    // What the app holds: a JWT for dana, with Reader only, naming the app, lasting minutes.
    const audit = await new TokenwardClient({ baseUrl: tw.url, token: await adminToken(tw.url) }).audit({
      action: 'token.exchange',
    });
    expect(audit.items[0]!.details).toMatchObject({
      subject: dana.id,
      roles: ['Reader'],
      act: { name: 'dashboard-app' },
    });
  });

  it('the delegated token is down-scoped, names the app, and expires within 15 minutes', async () => {
    const { signInAndDelegate } = await import('./delegation.js');
    const user = await signInAndDelegate({ tokenwardUrl: tw.url, appToken, username: 'dana', password });
    const claims = decodeJwt(user.accessToken);
    expect(claims).toMatchObject({ name: 'dana', roles: ['Reader'], act: { name: 'dashboard-app' } });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(15 * 60);
    const asDana = new TokenwardClient({ baseUrl: tw.url, token: user.accessToken });
    expect((await asDana.me()).identity.name).toBe('dana');
    // Not worth more than dana with Reader: no identity administration.
    await expect(asDana.identities.create({ name: 'mallory' })).rejects.toMatchObject({ status: 403 });
  });

  it('a wrong password gets Tokenward’s message, and logout ends the session and the token', async () => {
    const bad = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dana', password: 'wrong-password' }),
    });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: string }).error).toBe('The username or password is incorrect.');

    const login = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dana', password }),
    });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    expect((await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/sessions`, { headers: { cookie } })).status).toBe(401);
  });
});
