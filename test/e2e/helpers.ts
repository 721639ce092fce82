// Shared by the browser tests (and bench/dashboard.ts): Chromium, sign-in, screenshots, seeding.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN } from '../testkit/app.ts';

export type { Browser, BrowserContext, Page } from 'playwright-core';

export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** A fresh context (own cookies) signed in through the sign-in form. */
export async function signedInPage(
  browser: Browser,
  url: string,
  opts: { email?: string; password?: string; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP });
  const page = await context.newPage();
  // Errors in the page fail loudly in the test output instead of passing silently.
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(`${url}/signin`);
  await page.getByTestId('signin-email').fill(opts.email ?? ADMIN.email);
  await page.getByTestId('signin-password').fill(opts.password ?? ADMIN.password);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => !u.pathname.includes('signin'));
  return { context, page };
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage });
}

export const SERVERS_PATH = '/admin/support-channel/emails/incoming-email-servers';
export const RULES_PATH = '/admin/support-channel/emails/incoming-email-rules';
