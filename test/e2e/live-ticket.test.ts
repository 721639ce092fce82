import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';

export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

describe('the SPA in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  const user = `web-${randomUUID().slice(0, 8)}@example.test`;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await getDovecot().addUser(user, 'web-pass');
    t = await startTestApp();
    await t.seed.incomingServer({ name: 'Web support', email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'web-pass', realTimeScanning: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('signs in and sees a ticket appear live when mail arrives', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(t.url);
    await page.getByTestId('signin-email').fill(ADMIN.email);
    await page.getByTestId('signin-password').fill(ADMIN.password);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL((u) => !u.pathname.includes('signin'));
    await page.goto(`${t.url}/requests`);
    await page.waitForLoadState('networkidle');
    const before = await page.getByTestId('ticket-row').count();

    await getDovecot().deliver(user, mail({ from: 'Grace Hopper <grace@customer.example>', to: user, subject: 'Bug in relay 70', body: 'A moth.' }));
    const row = page.getByTestId('ticket-row').filter({ hasText: 'Bug in relay 70' });
    await row.waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('ticket-row').count()).toBe(before + 1);
    expect(await row.getByTestId('ticket-number').textContent()).toMatch(/REQ-\d+/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'requests-live.png') });

    await page.goto(`${t.url}/admin/support-channel/emails/incoming-email-servers`);
    await page.getByTestId('server-card').first().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'incoming-servers.png') });
    await page.close();
  });
});
