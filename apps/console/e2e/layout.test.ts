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
  openTab,
  signInThroughForm,
  startServer,
  type TestServer,
} from './harness.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The laptop sizes the console must be readable at without clipped actions (issue 13). */
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 1366, height: 768 },
] as const;

const PAGES = ['Tokens', 'Identities', 'Roles', 'Sessions', 'Audit log', 'Signing keys', 'Personal tokens'];

/**
 * Every control that is cut off: wider than the window, or outside the visible part of a
 * box that clips or scrolls it (a table in an overflow box clips its last column).
 */
async function clippedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const viewportWidth = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > viewportWidth + 1) {
      out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${viewportWidth})`);
    }
    const controls = document.querySelectorAll<HTMLElement>(
      'button, a[href], input:not([type="hidden"]), select, textarea, code',
    );
    for (const el of controls) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const name = `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`;
      if (r.left < -1 || r.right > viewportWidth + 1) out.push(`${name} is outside the window`);
      for (let a = el.parentElement; a; a = a.parentElement) {
        const style = getComputedStyle(a);
        if (style.overflowX === 'visible') continue;
        const box = a.getBoundingClientRect();
        const left = box.left + a.clientLeft;
        if (r.left < left - 1 || r.right > left + a.clientWidth + 1) {
          out.push(`${name} is clipped by ${a.tagName.toLowerCase()}.${a.className}`);
          break;
        }
      }
    }
    return out;
  });
}

describeBrowser('console: every page is readable at 1280×800 and 1366×768', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(freshStore('sqlite'));
    browser = await launchBrowser();
    const admin = await adminToken(server.url);
    const identity = async (name: string, roles: string[], extra: Record<string, unknown> = {}) => {
      const res = await http(server.url, 'POST', '/api/v1/identity', {
        token: admin,
        json: { name, roles, ...extra },
      });
      expect(res.status).toBe(201);
      return res.body as { id: number };
    };
    const billing = await identity('billing-service-with-a-long-name', ['Operator', 'Reader']);
    const alice = await identity('alice.longname@example.com', ['Operator', 'Reader'], {
      email: 'alice.longname@example.com',
      firstName: 'Alice',
      lastName: 'Longname-Somerset',
    });
    const grant = async (identityId: number, json: Record<string, unknown>) => {
      const res = await http(server.url, 'POST', `/api/v1/apptoken/grant/${identityId}`, {
        token: admin,
        json,
      });
      expect(res.status).toBe(200);
      return res.body as { id: number; token: string };
    };
    await grant(billing.id, {
      name: 'Invoice sync for the ledger export',
      roles: ['Operator', 'Reader'],
      description: 'Exports invoices to the ledger every night, with a long description',
      apiEndpoints: ['GET /api/invoices/*', 'POST /api/invoices/export'],
      expiration: new Date(Date.now() + 180 * DAY_MS).toISOString(),
    });
    await grant(alice.id, {
      name: 'Laptop CLI',
      roles: ['Operator'],
      expiration: new Date(Date.now() + 12 * HOUR_MS).toISOString(),
    });
    // A used token, so "Last used" has a time; the audit log gets events of several kinds.
    const used = await grant(alice.id, { name: 'Used once', roles: ['Reader'] });
    await http(server.url, 'GET', `/api/v1/identity/${alice.id}`, { token: used.token });
    const personal = await http(server.url, 'POST', '/api/v1/PersonalTokens', {
      token: admin,
      json: { name: 'Laptop scripts', description: 'Nightly report pulls' },
    });
    expect(personal.status).toBeLessThan(300);
    await http(server.url, 'POST', '/api/v1/role', {
      token: admin,
      json: { name: 'Billing', description: 'Reads and exports invoices', permissions: ['billing:read'] },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const viewport of VIEWPORTS) {
    const size = `${viewport.width}x${viewport.height}`;
    it(
      `at ${size}: no page clips an action, and each is photographed`,
      async () => {
        const tab = await openTab(browser, server.url, viewport);
        const { page } = tab;
        await page.goto('/');
        await page.getByLabel('Username or email').waitFor();
        await tab.screenshot(`layout-${size}-sign-in`);
        await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
        for (const label of PAGES) {
          await goTo(page, label);
          // The page's data, not its loading state.
          await page
            .locator('[aria-busy="true"]')
            .first()
            .waitFor({ state: 'detached' })
            .catch(() => {});
          await page.waitForLoadState('networkidle');
          await tab.screenshot(`layout-${size}-${label.toLowerCase().replace(/ /g, '-')}`);
          expect({ page: label, clipped: await clippedControls(page) }).toEqual({ page: label, clipped: [] });
        }

        await goTo(page, 'Tokens');
        await page.getByRole('button', { name: 'Grant App Token' }).click();
        const dialog = page.getByRole('dialog', { name: 'Grant App Token' });
        await dialog.waitFor();
        await tab.screenshot(`layout-${size}-grant-dialog`);
        expect(await clippedControls(page)).toEqual([]);
        await dialog.getByRole('button', { name: 'Grant token' }).click();
        const shown = page.getByRole('dialog', { name: 'Copy your new token' });
        await shown.waitFor();
        await tab.screenshot(`layout-${size}-new-token`);
        expect(await clippedControls(page)).toEqual([]);
        tab.expectNoConsoleErrors();
        await tab.close();
      },
      E2E_TIMEOUT_MS * 2,
    );
  }
});
