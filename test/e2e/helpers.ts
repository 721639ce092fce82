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
  opts: {
    email?: string;
    password?: string;
    viewport?: { width: number; height: number };
    /** Runs on the new context before any page loads (e.g. routing its WebSocket). */
    prepare?: (context: BrowserContext) => Promise<void>;
    /** The system theme the page sees (prefers-color-scheme). */
    colorScheme?: 'light' | 'dark';
  } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, colorScheme: opts.colorScheme ?? 'light' });
  await opts.prepare?.(context);
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

/**
 * What sticks out of the viewport sideways: the page scrolling sideways, and every visible control
 * (button, link, field, column head) outside the navigation whose box ends past either edge — a
 * table that scrolls inside its own box still hides its Edit button, which scrollWidth misses.
 */
export async function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const found: string[] = [];
    const pageOverflow = document.documentElement.scrollWidth - width;
    if (pageOverflow > 0) found.push(`the page scrolls ${pageOverflow} px sideways`);
    for (const el of document.querySelectorAll<HTMLElement>('main button, main a[href], main input, main select, main textarea, main th')) {
      const box = el.getBoundingClientRect();
      // Zero-size or 1 px boxes are hidden or visually-hidden (screen-reader) elements.
      if (box.width <= 1 || box.height <= 1 || getComputedStyle(el).visibility === 'hidden') continue;
      // The admin menu turns into a strip that scrolls sideways on a phone, by design.
      if (el.closest('nav')) continue;
      if (box.left < -1 || box.right > width + 1) {
        const name = (el.getAttribute('aria-label') ?? el.getAttribute('data-testid') ?? el.textContent ?? el.tagName).trim().slice(0, 40);
        found.push(`${el.tagName.toLowerCase()} "${name}" spans ${Math.round(box.left)}–${Math.round(box.right)} px`);
      }
    }
    return found;
  });
}
