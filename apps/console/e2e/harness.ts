/**
 * Browser-test harness: Debian's Chromium driven by playwright-core against a real Tokenward
 * listening on a loopback port with a fresh store. Never downloads a browser.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { describe, expect } from 'vitest';

export {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  freshStore,
  http,
  makeIdentity,
  signIn,
  startServer,
  type TestServer,
} from '../../server/test/helpers.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'console');

const chromiumPresent = existsSync(CHROMIUM_PATH);
if (!chromiumPresent && process.env.CI === 'true') {
  // In CI a missing browser is a failure, never a silent skip.
  throw new Error(
    `CI=true but ${CHROMIUM_PATH} does not exist: the console's browser tests need Debian's chromium package (apt-get install chromium).`,
  );
}
if (!chromiumPresent) {
  process.stdout.write(
    `\n[tokenward] ${CHROMIUM_PATH} is missing: the console's browser tests are SKIPPED (apt-get install chromium to run them).\n`,
  );
}

/** `describe`, or `describe.skip` (outside CI only) when there is no Chromium. */
export const describeBrowser = chromiumPresent ? describe : describe.skip;

/** Browser tests wait on a real browser and server: give them room on a 2-core machine. */
export const E2E_TIMEOUT_MS = 90_000;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  problems: string[];
  /** Fails the test if the page logged an error, except ones matching `allowed`. */
  expectNoConsoleErrors(allowed?: RegExp[]): void;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openTab(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<Tab> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  return {
    context,
    page,
    problems,
    expectNoConsoleErrors(allowed = []) {
      expect(problems.filter((p) => !allowed.some((re) => re.test(p)))).toEqual([]);
    },
    async screenshot(name: string) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
    },
  };
}

/** The browser's report of an HTTP error status it was shown (the API's deliberate refusals). */
export const failedResource = (status: number) =>
  new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

/** Signs in through the form and waits for the signed-in shell. */
export async function signInThroughForm(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Clicks a main-navigation link (opening the narrow-screen menu first if needed). */
export async function goTo(page: Page, label: string): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  const link = nav.getByRole('link', { name: label, exact: true });
  if (!(await link.isVisible())) await page.getByRole('button', { name: 'Menu' }).click();
  await link.click();
  await page.getByRole('heading', { level: 1, name: label === 'Audit log' ? 'Audit log' : label }).waitFor();
}
