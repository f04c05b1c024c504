import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  describeBrowser,
  E2E_TIMEOUT_MS,
  freshStore,
  goTo,
  http,
  launchBrowser,
  makeIdentity,
  openTab,
  signInThroughForm,
  startServer,
  type TestServer,
} from './harness.js';

for (const dialect of DIALECTS) {
  describeBrowser(`console: personal tokens (seed 003) [${dialect}]`, () => {
    let server: TestServer;
    let browser: Browser;
    let alice: { id: number; token: string; password: string };

    beforeAll(async () => {
      server = await startServer(freshStore(dialect));
      browser = await launchBrowser();
      const admin = await adminToken(server.url);
      alice = await makeIdentity(server.url, admin, 'alice', ['Operator']);
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it(
      'a person creates a personal token, sees its value once, renames it, and revokes it',
      async () => {
        const tab = await openTab(browser, server.url);
        const { page } = tab;
        await signInThroughForm(page, 'alice', alice.password);
        await goTo(page, 'Personal tokens');

        await page.getByRole('button', { name: 'Create token' }).click();
        const dialog = page.getByRole('dialog', { name: 'Create personal token' });
        // Personal tokens have their own limits: 90 days by default, at most a year.
        const presets = await dialog.getByLabel('Expires after').locator('option').allTextContents();
        expect(presets).toContain('90 days (default)');
        expect(presets).toContain('1 year (maximum)');
        await dialog.getByLabel('Name').fill('laptop script');
        await dialog.getByLabel('Description').fill('nightly package sync');
        await dialog.getByRole('button', { name: 'Create token' }).click();

        const shown = page.getByRole('dialog', { name: 'Copy your personal token' });
        await shown.waitFor();
        await shown.getByText('It will not be shown again').waitFor();
        const value = (await shown.getByLabel('Token value').locator('code').textContent())?.trim() ?? '';
        expect(value).toMatch(/^tw_pat_/);
        await shown.getByRole('button', { name: 'Copy' }).click();
        await shown
          .getByRole('status')
          .filter({ hasText: /clipboard|copy it with/ })
          .waitFor();
        await shown.getByRole('button', { name: 'Done' }).click();
        await shown.waitFor({ state: 'detached' });
        expect(await page.content()).not.toContain(value);

        // Seed 003: exchange it for a bearer token.
        const exchanged = await http(
          server.url,
          'POST',
          `/api/v1/PersonalTokens/authenticate?username=alice&personalToken=${encodeURIComponent(value)}`,
        );
        expect(exchanged.status).toBe(200);

        const row = page.getByRole('row').filter({ hasText: 'laptop script' });
        await row.getByText('Active').waitFor();
        await row.getByRole('button', { name: /^Edit token/ }).click();
        const edit = page.getByRole('dialog', { name: 'Edit token' });
        await edit.getByLabel('Name').fill('laptop sync');
        await edit.getByRole('button', { name: 'Save' }).click();
        await edit.waitFor({ state: 'detached' });
        const renamed = page.getByRole('row').filter({ hasText: 'laptop sync' });
        await renamed.waitFor();
        expect(await page.getByRole('row').filter({ hasText: 'laptop script' }).count()).toBe(0);

        await renamed.getByRole('button', { name: /^Revoke token/ }).click();
        const confirm = page.getByRole('dialog', { name: 'Revoke personal token?' });
        await confirm.getByRole('button', { name: 'Revoke token' }).click();
        await confirm.waitFor({ state: 'detached' });
        await renamed.getByText('Revoked').waitFor();

        const refused = await http(
          server.url,
          'POST',
          `/api/v1/PersonalTokens/authenticate?username=alice&personalToken=${encodeURIComponent(value)}`,
        );
        expect(refused.status).toBe(401);
        await tab.screenshot('personal-tokens');
        tab.expectNoConsoleErrors();
        await tab.close();
      },
      E2E_TIMEOUT_MS,
    );
  });
}
