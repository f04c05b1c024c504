import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  describeBrowser,
  E2E_TIMEOUT_MS,
  freshStore,
  http,
  launchBrowser,
  openTab,
  REPO_ROOT,
  SCREENSHOT_DIR,
  signInThroughForm,
  startServer,
  type TestServer,
} from './harness.js';

const DAY_MS = 86_400_000;

/**
 * The Tokens page with a realistic set of tokens, as the README shows it. The picture is
 * written to test-output/ on every run; with TOKENWARD_UPDATE_SCREENSHOTS=1 it also replaces
 * docs/images/tokens.png (a test run never changes committed files otherwise).
 */
describeBrowser('console: the README screenshot of Security \\ Tokens', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(freshStore('sqlite'));
    browser = await launchBrowser();
    const admin = await adminToken(server.url);
    const role = await http(server.url, 'POST', '/api/v1/role', {
      token: admin,
      json: {
        name: 'Billing',
        description: 'Reads and exports invoices',
        permissions: ['billing:read', 'billing:export'],
      },
    });
    expect(role.status).toBe(201);
    const identity = async (name: string, roles: string[]) => {
      const res = await http(server.url, 'POST', '/api/v1/identity', { token: admin, json: { name, roles } });
      expect(res.status).toBe(201);
      return res.body as { id: number };
    };
    const deploy = await identity('deploy-bot', ['Operator']);
    const reporting = await identity('reporting', ['Reader']);
    const billing = await identity('billing-service', ['Billing', 'Reader']);
    const alice = await identity('alice@example.com', ['Operator', 'Reader']);
    const grant = async (identityId: number, json: Record<string, unknown>) => {
      const res = await http(server.url, 'POST', `/api/v1/apptoken/grant/${identityId}`, {
        token: admin,
        json,
      });
      expect(res.status).toBe(200);
      return res.body as { id: number; token: string };
    };
    const laptop = await grant(alice.id, {
      name: 'Laptop CLI',
      roles: ['Operator'],
      description: 'Old laptop',
    });
    await http(server.url, 'DELETE', `/api/v1/apptoken/${laptop.id}`, { token: admin });
    await grant(billing.id, {
      name: 'Invoice sync',
      roles: ['Billing'],
      description: 'Exports invoices to the ledger',
      apiEndpoints: ['GET /api/invoices/*', 'POST /api/invoices/export'],
      expiration: new Date(Date.now() + 180 * DAY_MS).toISOString(),
    });
    await grant(reporting.id, {
      name: 'Nightly report export',
      roles: ['Reader'],
      expiration: new Date(Date.now() + 5 * DAY_MS).toISOString(),
    });
    const ci = await grant(deploy.id, {
      name: 'CI deploy',
      roles: ['Operator'],
      description: 'Release pipeline',
      expiration: new Date(Date.now() + 90 * DAY_MS).toISOString(),
    });
    // Used once, so "Last used" shows a time.
    await http(server.url, 'GET', `/api/v1/identity/${deploy.id}`, { token: ci.token });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'shows identities, roles, statuses, dates and hints of the tokens',
    async () => {
      const tab = await openTab(browser, server.url, { width: 1280, height: 720 });
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await page.getByLabel('Status').selectOption('');
      await page.getByRole('row').filter({ hasText: 'CI deploy' }).waitFor();
      await page.getByRole('row').filter({ hasText: 'Laptop CLI' }).getByText('Revoked').waitFor();
      await page.getByText('Expires in 5 days').waitFor();
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, 'readme-tokens.png');
      await page.screenshot({ path });
      if (process.env.TOKENWARD_UPDATE_SCREENSHOTS === '1') {
        mkdirSync(join(REPO_ROOT, 'docs', 'images'), { recursive: true });
        copyFileSync(path, join(REPO_ROOT, 'docs', 'images', 'tokens.png'));
      }
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );
});
