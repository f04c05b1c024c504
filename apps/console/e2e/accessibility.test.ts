import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
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

/** Presses Tab until the focused element matches, failing after `max` presses. */
async function tabTo(page: Page, matches: () => Promise<boolean>, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await matches()) return;
  }
  throw new Error('never reached the element by Tab');
}

const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

// Layout and keyboard do not depend on the store: SQLite only.
describeBrowser('console: keyboard, focus, labels and small screens', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(freshStore('sqlite'));
    browser = await launchBrowser();
    const admin = await adminToken(server.url);
    const bot = await makeIdentity(server.url, admin, 'a-rather-long-identity-name-for-layout', ['Operator']);
    await http(server.url, 'POST', `/api/v1/apptoken/grant/${bot.id}`, {
      token: admin,
      json: { name: 'a token whose name is long enough to wrap on a phone', description: 'layout check' },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'the grant dialog works from the keyboard alone, and focus returns where it was',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
      await page.locator('body').focus();
      await tabTo(page, async () => (await focusedText(page)) === 'Grant App Token');
      // The focused control is visibly outlined.
      const outline = await page.evaluate(
        () => getComputedStyle(document.activeElement as Element).outlineStyle,
      );
      expect(outline).not.toBe('none');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Grant App Token' });
      await dialog.waitFor();
      // Focus starts inside the dialog, on its first field.
      expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      expect(await focusedText(page)).toBe('Grant App Token');

      // Grant with keys only: open, type a name, submit with Enter.
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await dialog.getByLabel('Name').focus();
      await page.keyboard.type('keyboard token');
      await page.keyboard.press('Enter');
      const shown = page.getByRole('dialog', { name: 'Copy your new token' });
      await shown.waitFor();
      // Focus lands on the value (a code block since issue 13), ready to select and copy.
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '')).toMatch(
        /^tw_app_/,
      );
      await page.keyboard.press('Escape');
      await shown.waitFor({ state: 'detached' });
      await page.getByRole('row').filter({ hasText: 'keyboard token' }).waitFor();
      await tab.screenshot('keyboard');
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'every form control on every page has a label',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      const unlabelled = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('input, select, textarea, button')]
            .filter((el) => {
              const e = el as HTMLElement;
              if (e.closest('[hidden]') || e.getAttribute('type') === 'hidden') return false;
              const labelled =
                (e as HTMLInputElement).labels?.length ||
                e.getAttribute('aria-label') ||
                e.getAttribute('aria-labelledby') ||
                (e.tagName === 'BUTTON' && e.textContent?.trim());
              return !labelled;
            })
            .map((e) => e.outerHTML.slice(0, 120)),
        );
      for (const label of [
        'Tokens',
        'Identities',
        'Roles',
        'Sessions',
        'Audit log',
        'Signing keys',
        'Personal tokens',
      ]) {
        await goTo(page, label);
        await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading '));
        expect(await unlabelled(), label).toEqual([]);
      }
      await goTo(page, 'Tokens');
      await page.getByRole('button', { name: 'Grant App Token' }).click();
      await page
        .getByRole('dialog', { name: 'Grant App Token' })
        .getByLabel('Expires after')
        .selectOption({ label: 'Custom date…' });
      await page.getByRole('radio', { name: 'Only the endpoints listed' }).check();
      expect(await unlabelled(), 'grant dialog').toEqual([]);
      await tab.screenshot('grant-dialog');
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'at 360 px wide nothing scrolls sideways, the menu opens, and tables become cards',
    async () => {
      const tab = await openTab(browser, server.url, { width: 360, height: 740 });
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      const overflow = () =>
        page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await page.locator('tbody tr').first().waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      expect(
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Identities' })
          .isVisible(),
      ).toBe(false);
      await tab.screenshot('mobile-tokens');

      await goTo(page, 'Identities');
      expect(await overflow()).toBeLessThanOrEqual(0);
      await goTo(page, 'Audit log');
      await page.locator('tbody tr').first().waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await goTo(page, 'Tokens');
      await page.getByRole('button', { name: 'Grant App Token' }).click();
      const dialog = page.getByRole('dialog', { name: 'Grant App Token' });
      await dialog.waitFor();
      const box = await dialog.boundingBox();
      expect(box!.width).toBeLessThanOrEqual(360);
      await tab.screenshot('mobile-grant-dialog');
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );
});
