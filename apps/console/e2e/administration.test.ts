import type { Browser } from 'playwright-core';
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
  signIn,
  signInThroughForm,
  startServer,
  type TestServer,
} from './harness.js';

// The console does not depend on the store: these run on SQLite only (the token flows and
// the audit log run on every dialect).
const dialect = 'sqlite';

describeBrowser(`console: identities, roles, sessions and keys [${dialect}]`, () => {
  let server: TestServer;
  let browser: Browser;
  let admin: string;

  beforeAll(async () => {
    server = await startServer(freshStore(dialect));
    browser = await launchBrowser();
    admin = await adminToken(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'an administrator creates an identity, changes its roles, resets its password, disables and enables it',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await goTo(page, 'Identities');

      await page.getByRole('button', { name: 'Create identity' }).click();
      const create = page.getByRole('dialog', { name: 'Create identity' });
      await create.getByLabel('Name', { exact: true }).fill('carol');
      await create.getByLabel('Email').fill('carol@example.com');
      await create.getByLabel('First name').fill('Carol');
      await create.getByLabel('Last name').fill('Jones');
      await create.getByLabel('Password').fill('first-password-1');
      await create.getByRole('button', { name: 'Create identity' }).click();
      await create.waitFor({ state: 'detached' });
      const row = page
        .getByRole('row')
        .filter({ has: page.getByRole('button', { name: 'Edit carol', exact: true }) });
      await row.getByText('carol@example.com').waitFor();
      await row.getByText('Reader').waitFor();
      expect((await signIn(server.url, 'carol', 'first-password-1').then(() => 'ok')) === 'ok').toBe(true);

      // Email and names are editable; an emptied field is cleared.
      await row.getByRole('button', { name: 'Edit carol', exact: true }).click();
      const edit = page.getByRole('dialog', { name: 'Edit carol' });
      expect(await edit.getByLabel('Email').inputValue()).toBe('carol@example.com');
      await edit.getByLabel('Email').fill('carol.jones@example.org');
      await edit.getByLabel('First name').fill('Caroline');
      await edit.getByLabel('Last name').fill('');
      await edit.getByRole('button', { name: 'Save identity' }).click();
      await edit.waitFor({ state: 'detached' });
      await row.getByText('carol.jones@example.org').waitFor();
      await row.getByText('Caroline', { exact: true }).waitFor();

      await row.getByRole('button', { name: 'Edit roles of carol' }).click();
      const roles = page.getByRole('dialog', { name: 'Roles of carol' });
      await roles.getByRole('checkbox', { name: /^Operator/ }).check();
      await roles.getByRole('checkbox', { name: /^Reader/ }).uncheck();
      await roles.getByRole('button', { name: 'Save roles' }).click();
      await roles.waitFor({ state: 'detached' });
      await row.getByText('Operator').waitFor();
      expect(await row.getByText('Reader').count()).toBe(0);

      await row.getByRole('button', { name: 'Reset password of carol' }).click();
      const pw = page.getByRole('dialog', { name: 'Reset password of carol' });
      await pw.getByLabel('New password', { exact: true }).fill('second-password-2');
      await pw.getByLabel('Repeat the new password').fill('something else');
      await pw.getByRole('button', { name: 'Reset password' }).click();
      await pw.getByText('The two passwords differ.').waitFor();
      await pw.getByLabel('Repeat the new password').fill('second-password-2');
      await pw.getByRole('button', { name: 'Reset password' }).click();
      await pw.waitFor({ state: 'detached' });
      const old = await http(server.url, 'POST', '/api/v1/signin', {
        json: { username: 'carol', password: 'first-password-1' },
      });
      expect(old.status).toBe(401);
      await signIn(server.url, 'carol', 'second-password-2');

      await row.getByRole('button', { name: 'Disable carol' }).click();
      const disable = page.getByRole('dialog', { name: 'Disable carol?' });
      await disable.getByRole('button', { name: 'Disable' }).click();
      await disable.waitFor({ state: 'detached' });
      await row.getByText('Disabled').waitFor();
      const refused = await http(server.url, 'POST', '/api/v1/signin', {
        json: { username: 'carol', password: 'second-password-2' },
      });
      expect(refused.status).toBe(401);

      await row.getByRole('button', { name: 'Enable carol' }).click();
      await page
        .getByRole('dialog', { name: 'Enable carol?' })
        .getByRole('button', { name: 'Enable' })
        .click();
      await row.getByText('Enabled').waitFor();
      await tab.screenshot('identities');
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'custom roles are made with the permission picker; built-in roles are read-only',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await goTo(page, 'Roles');
      const builtin = page.getByRole('row').filter({ hasText: 'Administrator' });
      await builtin.getByText('Built-in').waitFor();
      await builtin.getByText('Read-only').waitFor();
      expect(await builtin.getByRole('button').count()).toBe(0);

      await page.getByRole('button', { name: 'Create role' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create role' });
      await dialog.getByLabel('Name').fill('Billing');
      await dialog.getByLabel('Description').fill('Reads invoices');
      await dialog
        .getByRole('checkbox', { name: /tokens:read\b/ })
        .first()
        .check();
      await dialog.getByLabel('Add a custom permission').fill('Billing Read');
      await dialog.getByRole('button', { name: 'Add permission' }).click();
      await dialog.getByText('Write a permission as resource:action').waitFor();
      await dialog.getByLabel('Add a custom permission').fill('billing:read');
      await dialog.getByLabel('Add a custom permission').press('Enter');
      await dialog.getByRole('button', { name: 'Remove billing:read' }).waitFor();
      await dialog.getByRole('button', { name: 'Create role' }).click();
      await dialog.waitFor({ state: 'detached' });

      const row = page.getByRole('row').filter({ hasText: 'Reads invoices' });
      await row.getByText('billing:read').waitFor();
      const stored = await http(server.url, 'GET', '/api/v1/role/Billing', { token: admin });
      expect(stored.body.permissions.sort()).toEqual(['billing:read', 'tokens:read']);

      await row.getByRole('button', { name: 'Edit role Billing' }).click();
      const edit = page.getByRole('dialog', { name: 'Edit role Billing' });
      await edit.getByRole('checkbox', { name: /audit:read/ }).check();
      await edit.getByRole('button', { name: 'Save role' }).click();
      await edit.waitFor({ state: 'detached' });
      await row.getByText('audit:read').waitFor();
      await tab.screenshot('roles');

      await row.getByRole('button', { name: 'Delete role Billing' }).click();
      await page
        .getByRole('dialog', { name: 'Delete role Billing?' })
        .getByRole('button', { name: 'Delete role' })
        .click();
      await row.waitFor({ state: 'detached' });
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'sessions are listed with the current one marked, and another one can be ended',
    async () => {
      const other = await signIn(server.url, 'admin', ADMIN_PASSWORD);
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await goTo(page, 'Sessions');
      const current = page.getByRole('row').filter({ hasText: 'This session' });
      await current.waitFor();
      expect(await current.textContent()).toMatch(/Chrome \d+ on Linux/);
      const others = page.locator('tbody tr').filter({ hasNotText: 'This session' });
      const before = await others.count();
      expect(before).toBeGreaterThan(0);

      // End the session made by `other` (the newest one that is not this browser's).
      const sessions = await http(server.url, 'GET', '/api/v1/usersession', { token: admin });
      const target = (sessions.body.items as Array<{ id: number; userAgent: string | null }>)
        .filter((s) => !(s.userAgent ?? '').includes('HeadlessChrome'))
        .sort((a, b) => b.id - a.id)[0]!;
      await page.getByRole('button', { name: `End session ${target.id}` }).click();
      await page
        .getByRole('dialog', { name: 'End session?' })
        .getByRole('button', { name: 'End session' })
        .click();
      await expect.poll(() => others.count()).toBe(before - 1);
      const ended = await http(server.url, 'GET', '/api/v1/usersession', { cookie: other.cookie });
      expect(ended.status).toBe(401);
      await tab.screenshot('sessions');

      // Ending this browser's own session signs it out.
      await current.getByRole('button', { name: 'End this session (sign out)' }).click();
      await page
        .getByRole('dialog', { name: 'End this session?' })
        .getByRole('button', { name: 'End session' })
        .click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByText('You ended this session.').waitFor();
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'signing keys are listed and rotated',
    async () => {
      const tab = await openTab(browser, server.url);
      const { page } = tab;
      await signInThroughForm(page, 'admin', ADMIN_PASSWORD);
      await goTo(page, 'Signing keys');
      const rows = page.locator('tbody tr');
      await rows.first().waitFor();
      const before = await rows.count();
      const activeBefore = await rows.filter({ hasText: 'Active' }).first().getAttribute('data-kid');

      await page.getByRole('button', { name: 'Rotate key' }).click();
      await page
        .getByRole('dialog', { name: 'Rotate the signing key?' })
        .getByRole('button', { name: 'Rotate key' })
        .click();
      await expect.poll(() => rows.count()).toBe(before + 1);
      // The new key is published at once and pending until its start time (issue 14); the current
      // key keeps signing meanwhile.
      const pending = await rows.filter({ hasText: 'Pending' }).first().getAttribute('data-kid');
      expect(pending).not.toBe(activeBefore);
      expect(await rows.filter({ hasText: 'Active' }).first().getAttribute('data-kid')).toBe(activeBefore);

      const jwks = await http(server.url, 'GET', '/.well-known/jwks.json');
      const kids = (jwks.body.keys as Array<{ kid: string }>).map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([activeBefore, pending]));
      await tab.screenshot('signing-keys');
      tab.expectNoConsoleErrors();
      await tab.close();
    },
    E2E_TIMEOUT_MS,
  );
});
