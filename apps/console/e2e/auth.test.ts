import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  describeBrowser,
  E2E_TIMEOUT_MS,
  failedResource,
  freshStore,
  goTo,
  http,
  launchBrowser,
  openTab,
  signInThroughForm,
  startServer,
  type TestServer,
} from './harness.js';

// The console does not depend on the store: these run on SQLite only (the token flows and
// the audit log run on every dialect).
const dialect = 'sqlite';

describeBrowser(`console: sign in and sign out [${dialect}]`, () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(freshStore(dialect));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'a wrong password is refused with a sentence a person understands, and nothing else happens',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await page.goto('/');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Username or email').fill('admin');
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('The username or password is incorrect.');
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      await tab.screenshot('signin-wrong-password');
      tab.expectNoConsoleErrors([failedResource(401)]);
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'signing in sets a session that survives a reload, and signing out ends it',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page, context } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/tokens');
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === 'tw_session')?.httpOnly).toBe(true);
      expect(cookies.find((c) => c.name === 'tw_csrf')?.httpOnly).toBe(false);

      // A reload keeps the session; a deep link lands on its page.
      await page.goto('/identities');
      await page.getByRole('heading', { level: 1, name: 'Identities' }).waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByText('You have signed out.').waitFor();
      expect((await context.cookies()).find((c) => c.name === 'tw_session')).toBeUndefined();
      await tab.screenshot('signed-out');
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'a session ended elsewhere sends the person back to sign in, with the reason',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      // Another administrator ends every session of admin (as an expiry would).
      const admin = await adminToken(server.url);
      const sessions = await http(server.url, 'GET', '/api/v1/usersession', { token: admin });
      for (const s of sessions.body.items as Array<{ id: number }>) {
        expect(
          (await http(server.url, 'DELETE', `/api/v1/usersession/${s.id}`, { token: admin })).status,
        ).toBe(204);
      }
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Identities' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByText('Your session has expired. Sign in again.').waitFor();

      // Signing in again returns to where the person was.
      await page.getByLabel('Username or email').fill('admin');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Identities' }).waitFor();
      await tab.screenshot('session-expired-signed-in-again');
      tab.expectNoConsoleErrors([failedResource(401)]);
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'a lost connection is reported as such, and clears when the server answers again',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page, context } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await context.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
      await goTo(page, 'Identities');
      await page.getByText('Connection lost').waitFor();
      await page.getByText('The Tokenward server could not be reached.').waitFor();
      await tab.screenshot('connection-lost');

      await context.unroute('**/api/v1/**');
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByRole('row').filter({ hasText: 'admin' }).first().waitFor();
      await page.getByText('Connection lost').waitFor({ state: 'detached' });
      tab.expectNoConsoleErrors([/Failed to load resource: net::ERR_CONNECTION_REFUSED/]);
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'cookie-authenticated writes without the CSRF header are refused by the API',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      // What a forged cross-site form could send: the browser's cookies but no CSRF header.
      const status = await page.evaluate(async () => {
        const res = await fetch('/api/v1/apptoken/grant', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        return res.status;
      });
      expect(status).toBe(403);
      tab.expectNoConsoleErrors([failedResource(403)]);
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );
});
