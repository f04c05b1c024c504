import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  adminToken,
  describeBrowser,
  E2E_TIMEOUT_MS,
  freshStore,
  goTo,
  http,
  launchBrowser,
  makeIdentity,
  openTab,
  signIn,
  signInThroughForm,
  startServer,
  type TestServer,
} from './harness.js';

// The console does not depend on the store: these run on SQLite only (the token flows and
// the audit log run on every dialect).
const dialect = 'sqlite';

describeBrowser(`console: what a user may not do is not offered [${dialect}]`, () => {
  let server: TestServer;
  let browser: Browser;
  let reader: { id: number; token: string; password: string };
  let operator: { id: number; token: string; password: string };

  beforeAll(async () => {
    server = await startServer(freshStore(dialect));
    browser = await launchBrowser();
    const admin = await adminToken(server.url);
    reader = await makeIdentity(server.url, admin, 'rita', ['Reader']);
    operator = await makeIdentity(server.url, admin, 'otto', ['Operator']);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    "a Reader sees its tokens but no grant, edit or revoke control, and the API refuses a Reader's grant",
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'rita', reader.password);
      await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
      await page.getByRole('row').filter({ hasText: 'rita' }).first().waitFor();
      expect(await page.getByRole('button', { name: 'Grant App Token' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^(Revoke|Edit) token/ }).count()).toBe(0);
      // Only the reader's own tokens are listed, so no identity filter either.
      expect(await page.getByLabel('Identity').count()).toBe(0);

      const nav = page.getByRole('navigation', { name: 'Main' });
      const links = await nav.getByRole('link').allTextContents();
      expect(links).toEqual(expect.arrayContaining(['Tokens', 'Identities', 'Roles', 'Sessions']));
      expect(links).not.toContain('Audit log');
      expect(links).not.toContain('Signing keys');

      await goTo(page, 'Identities');
      await page.getByRole('row').filter({ hasText: 'otto' }).waitFor();
      expect(await page.getByRole('button', { name: 'Create identity' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Edit roles of/ }).count()).toBe(0);
      await goTo(page, 'Roles');
      await page.getByRole('row').filter({ hasText: 'Administrator' }).waitFor();
      expect(await page.getByRole('button', { name: 'Create role' }).count()).toBe(0);
      // A page it may not see is not shown either: the address leads to its start page.
      await page.goto('/audit');
      await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/tokens');
      await tab.screenshot('reader-tokens');
      tab.expectNoConsoleErrors();
      await tab.close();

      // The API refuses what the console does not offer.
      const s = await signIn(server.url, 'rita', reader.password);
      const grant = await http(server.url, 'POST', `/api/v1/apptoken/grant/${operator.id}`, {
        cookie: s.cookie,
        headers: { 'x-csrf-token': s.csrf },
        json: {},
      });
      expect(grant.status).toBe(403);
      const own = await http(server.url, 'POST', '/api/v1/apptoken/grant', {
        cookie: s.cookie,
        headers: { 'x-csrf-token': s.csrf },
        json: {},
      });
      expect(own.status).toBe(403);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'an Operator grants only to itself: the dialog offers no other identity',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'otto', operator.password);
      await page.getByRole('button', { name: 'Grant App Token' }).click();
      const dialog = page.getByRole('dialog', { name: 'Grant App Token' });
      const identity = dialog.getByLabel('Identity');
      expect(await identity.isDisabled()).toBe(true);
      expect(await identity.locator('option').allTextContents()).toEqual(['otto (you)']);
      await dialog.getByText('You may grant tokens only to yourself.').waitFor();
      await dialog.getByLabel('Name').fill('otto laptop');
      await dialog.getByRole('button', { name: 'Grant token' }).click();
      const shown = page.getByRole('dialog', { name: 'Copy your new token' });
      await shown.waitFor();
      await shown.getByRole('button', { name: 'Done' }).click();
      const row = page.getByRole('row').filter({ hasText: 'otto laptop' });
      await row.getByText('Active').waitFor();
      // Its own token it may revoke.
      expect(await row.getByRole('button', { name: /^Revoke token/ }).count()).toBe(1);
      await tab.screenshot('operator-tokens');
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );
});
