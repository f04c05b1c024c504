import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  describeBrowser,
  E2E_TIMEOUT_MS,
  freshStore,
  http,
  launchBrowser,
  makeIdentity,
  openTab,
  signInThroughForm,
  startServer,
  type TestServer,
} from './harness.js';

for (const dialect of DIALECTS) {
  describeBrowser(`console: Security \\ Tokens (seed 001) [${dialect}]`, () => {
    let server: TestServer;
    let browser: Browser;
    let admin: string;
    let operator: { id: number; token: string; password: string };

    beforeAll(async () => {
      server = await startServer(freshStore(dialect));
      browser = await launchBrowser();
      admin = await adminToken(server.url);
      operator = await makeIdentity(server.url, admin, 'deploy-bot', ['Operator']);
      await makeIdentity(server.url, admin, 'reporting', ['Reader']);
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it(
      'an administrator grants a token to another identity through the dialog, copies the value once, uses it, and revokes it',
      async () => {
        const tab = await openTab(browser, server.url);
        const { page } = tab;
        await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();

        await page.getByRole('button', { name: 'Grant App Token' }).click();
        const dialog = page.getByRole('dialog', { name: 'Grant App Token' });
        await dialog.getByLabel('Identity').selectOption({ label: 'deploy-bot' });
        // The identity's roles are offered, checked.
        expect(await dialog.getByRole('checkbox', { name: 'Operator' }).isChecked()).toBe(true);
        await dialog.getByLabel('Expires after').selectOption({ label: '30 days' });
        await dialog.getByLabel('Name').fill('CI deploy');
        await dialog.getByLabel('Description').fill('Used by the release pipeline');
        await dialog.getByRole('button', { name: 'Grant token' }).click();

        const shown = page.getByRole('dialog', { name: 'Copy your new token' });
        await shown.waitFor();
        expect(await shown.getByText('It will not be shown again').isVisible()).toBe(true);
        const value = (await shown.getByLabel('Token value').locator('code').textContent())?.trim() ?? '';
        expect(value).toMatch(/^tw_app_[A-Za-z0-9_-]+$/);
        await tab.screenshot('tokens-show-once');

        // The value works against the API, as deploy-bot with its Operator role.
        const use = await http(server.url, 'GET', `/api/v1/identity/${operator.id}`, { token: value });
        expect(use.status).toBe(200);
        expect(use.body.name).toBe('deploy-bot');

        await shown.getByRole('button', { name: 'Done' }).click();
        await shown.waitFor({ state: 'detached' });
        // Once closed, the value is nowhere on the page.
        expect(await page.content()).not.toContain(value);

        const row = page.getByRole('row').filter({ hasText: 'CI deploy' });
        await row.getByText('Active').waitFor();
        expect(await row.textContent()).toContain('deploy-bot');
        expect(await row.textContent()).toContain(`…${value.slice(-4)}`);

        await row.getByRole('button', { name: /^Revoke token/ }).click();
        const confirm = page.getByRole('dialog', { name: 'Revoke token?' });
        await confirm.getByRole('button', { name: 'Revoke token' }).click();
        await confirm.waitFor({ state: 'detached' });
        await row.getByText('Revoked').waitFor();
        expect(await row.getByRole('button', { name: /^Revoke token/ }).count()).toBe(0);

        const refused = await http(server.url, 'GET', `/api/v1/identity/${operator.id}`, { token: value });
        expect(refused.status).toBe(401);
        await tab.screenshot('tokens-revoked');
        tab.expectNoConsoleErrors();
        await tab.close();
      },
      E2E_TIMEOUT_MS,
    );

    it(
      'the expiration picker offers no lifetime beyond the instance maximum and says why',
      async () => {
        const tab = await openTab(browser, server.url);
        const { page } = tab;
        await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
        await page.getByRole('button', { name: 'Grant App Token' }).click();
        const dialog = page.getByRole('dialog', { name: 'Grant App Token' });
        const presets = await dialog.getByLabel('Expires after').locator('option').allTextContents();
        expect(presets).toContain('1 year (default)');
        expect(presets).toContain('2 years (maximum)');
        expect(presets.some((p) => /3 years/.test(p))).toBe(false);
        await expect.poll(() => dialog.getByText('live at most 2 years').first().isVisible()).toBe(true);

        await dialog.getByLabel('Expires after').selectOption({ label: 'Custom date…' });
        const date = dialog.getByLabel('Expiration date');
        const max = await date.getAttribute('max');
        const beyond = new Date(Date.now() + 800 * 86_400_000).toISOString().slice(0, 10);
        expect(beyond > (max ?? '')).toBe(true);
        await date.fill(beyond);
        await dialog.getByText(/at most 2 years: choose .* or earlier/).waitFor();
        expect(await dialog.getByRole('button', { name: 'Grant token' }).isDisabled()).toBe(true);

        // The last allowed date is accepted, and the server agrees.
        await date.fill(max!);
        await dialog.getByText('The token will expire on').waitFor();
        await dialog.getByLabel('Name').fill('longest allowed');
        await dialog.getByRole('button', { name: 'Grant token' }).click();
        const shown = page.getByRole('dialog', { name: 'Copy your new token' });
        await shown.waitFor();
        await shown.getByRole('button', { name: 'Done' }).click();
        await page.getByRole('row').filter({ hasText: 'longest allowed' }).waitFor();
        await tab.screenshot('tokens-expiration-limit');
        tab.expectNoConsoleErrors();
        await tab.close();
      },
      E2E_TIMEOUT_MS,
    );

    it(
      'the table filters by status and identity, searches, and pages',
      async () => {
        // 30 more tokens for deploy-bot, one of them revoked, to fill more than one page.
        for (let i = 0; i < 30; i++) {
          const g = await http(server.url, 'POST', `/api/v1/apptoken/grant/${operator.id}`, {
            token: admin,
            json: {
              name: `batch ${String(i).padStart(2, '0')}`,
              description: i === 7 ? 'nightly export' : '',
            },
          });
          expect(g.status).toBe(200);
          if (i === 3) {
            expect(
              (await http(server.url, 'DELETE', `/api/v1/apptoken/${g.body.id}`, { token: admin })).status,
            ).toBe(200);
          }
        }
        const tab = await openTab(browser, server.url);
        const { page } = tab;
        await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
        const nav = page.getByRole('navigation', { name: 'Tokens pages' });
        await nav.getByText(/^1–25 of \d+$/).waitFor();
        await nav.getByRole('button', { name: 'Next page' }).click();
        await nav.getByText(/^26–\d+ of \d+$/).waitFor();

        await page.getByLabel('Status').selectOption('Revoked');
        const rows = page.locator('tbody tr');
        await expect
          .poll(() => rows.allTextContents())
          .toEqual(expect.arrayContaining([expect.stringContaining('batch 03')]));
        for (const text of await rows.allTextContents()) expect(text).toContain('Revoked');

        await page.getByLabel('Status').selectOption('');
        await page.getByLabel('Identity').selectOption({ label: 'deploy-bot' });
        await page.getByLabel('Search').fill('nightly');
        await expect.poll(() => rows.count()).toBe(1);
        expect(await rows.first().textContent()).toContain('batch 07');
        await tab.screenshot('tokens-filtered');
        tab.expectNoConsoleErrors();
        await tab.close();
      },
      E2E_TIMEOUT_MS,
    );
  });
}
