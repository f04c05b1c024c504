import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
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
  describeBrowser(`console: audit log [${dialect}]`, () => {
    let server: TestServer;
    let browser: Browser;
    let grantedId: number;

    beforeAll(async () => {
      server = await startServer(freshStore(dialect));
      browser = await launchBrowser();
      const admin = await adminToken(server.url);
      const bot = await makeIdentity(server.url, admin, 'audit-bot', ['Operator']);
      const granted = await http(server.url, 'POST', `/api/v1/apptoken/grant/${bot.id}`, {
        token: admin,
        json: { name: 'to be revoked' },
      });
      grantedId = granted.body.id;
      await http(server.url, 'DELETE', `/api/v1/apptoken/${grantedId}`, { token: admin });
      // A failed sign-in is recorded too.
      await http(server.url, 'POST', '/api/v1/signin', {
        json: { username: 'audit-bot', password: 'wrong-password' },
      });
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it(
      'the audit log shows grants, revocations and sign-ins (failed ones too), and filters them',
      async () => {
        const tab = await openTab(browser, server.url);
        const { page } = tab;
        await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
        await goTo(page, 'Audit log');
        const rows = page.locator('tbody tr');
        await rows.first().waitFor();
        const all = (await rows.allTextContents()).join('\n');
        for (const action of ['token.grant', 'token.revoke', 'identity.create', 'signin']) {
          expect(all).toContain(action);
        }
        const failed = rows.filter({ hasText: 'Failure' }).filter({ hasText: 'signin' });
        expect(await failed.count()).toBeGreaterThan(0);
        expect(await failed.first().textContent()).toContain('audit-bot');
        await tab.screenshot('audit-all');

        await page.getByLabel('Action').fill('token.revoke');
        await page.getByRole('button', { name: 'Filter' }).click();
        // Wait for the filtered answer itself: the previous rows stay on screen while it loads.
        await expect
          .poll(async () => (await rows.allTextContents()).join('\n'))
          .toContain(`token #${grantedId}`);
        await expect.poll(() => rows.count()).toBe(1);
        expect(await rows.first().textContent()).toContain(`token #${grantedId}`);

        await page.getByLabel('Action').fill('');
        await page.getByLabel('Actor').fill('audit-bot');
        await page.getByLabel('Outcome').selectOption('failure');
        await page.getByRole('button', { name: 'Filter' }).click();
        await expect
          .poll(async () =>
            (await rows.allTextContents()).every((t) => t.includes('audit-bot') && t.includes('signin')),
          )
          .toBe(true);
        await expect.poll(() => rows.count()).toBe(1);
        expect(await rows.first().textContent()).toContain('signin');

        // A window in the future holds nothing.
        await page.getByRole('button', { name: 'Clear' }).click();
        await page.getByLabel('From').fill('2099-01-01T00:00');
        await page.getByRole('button', { name: 'Filter' }).click();
        await page.getByText('No event matches.').waitFor();
        await page.getByRole('button', { name: 'Clear' }).click();
        await rows.first().waitFor();
        await tab.screenshot('audit-log');
        tab.expectNoConsoleErrors();
        await tab.close();
      },
      E2E_TIMEOUT_MS,
    );
  });
}
