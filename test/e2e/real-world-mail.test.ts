// A technician reads real-world mail in Chromium: an Outlook mail's two inline images render
// and its PDF is listed with a short kind and size; remote images load through Mailroom on a
// click; a release from quarantine says what it did.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { BLUE_PNG, excelAttachment, outlookInlineImages, twoFromHeaders } from '../testkit/real-world-mail.ts';
import { waitFor } from '../testkit/services/util.ts';
import { launchBrowser, screenshot, signedInPage, type Browser } from './helpers.ts';

describe('real-world mail in the browser', () => {
  let t: TestApp;
  let browser: Browser;
  let images: Server;
  const user = `e2e-mail-${randomUUID().slice(0, 8)}@example.test`;

  async function ticketIdOf(subject: string): Promise<string> {
    let id: string | undefined;
    await waitFor(`the ticket "${subject}"`, async () => Boolean((id = (await t.tickets()).find((n) => n.subject === subject)?.id)), 30_000);
    return id!;
  }

  beforeAll(async () => {
    images = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(BLUE_PNG));
    await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
    await getDovecot().addUser(user, 'web-pass');
    t = await startTestApp();
    await t.seed.incomingServer({ name: 'Real mail', email: user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE', password: 'web-pass', realTimeScanning: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await new Promise((r) => images?.close(r));
  });

  it('shows an Outlook mail\'s two inline images and lists its PDF, kind and size, inside the sidebar', async () => {
    await getDovecot().deliver(user, outlookInlineImages({ to: user, subject: 'Printer error (Outlook)' }));
    const id = await ticketIdOf('Printer error (Outlook)');
    const { context, page } = await signedInPage(browser, t.url);
    await page.goto(`${t.url}/requests/${id}`);
    const frame = page.frameLocator('[data-testid="message-html"]');
    const pictures = frame.locator('img');
    await expect.poll(() => pictures.count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => pictures.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth)), { timeout: 15_000 }).toEqual([1, 2]);

    const side = page.locator('aside');
    const card = side.getByTestId('attachment-link');
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.getByTestId('attachment-name').textContent()).toBe('Printer report.pdf');
    expect(await card.getByTestId('attachment-meta').textContent()).toMatch(/^PDF document · \d+ B$/);
    const [sideBox, cardBox] = [await side.boundingBox(), await card.boundingBox()];
    expect(cardBox!.x + cardBox!.width).toBeLessThanOrEqual(sideBox!.x + sideBox!.width);
    await screenshot(page, 'ticket-outlook-inline-images');
    await context.close();
  });

  it('shows a long-named workbook as "Excel workbook" with its size, without overflowing the sidebar', async () => {
    await getDovecot().deliver(user, excelAttachment({ to: user, subject: 'Budget (Excel)' }));
    const id = await ticketIdOf('Budget (Excel)');
    const { context, page } = await signedInPage(browser, t.url);
    await page.goto(`${t.url}/requests/${id}`);
    const side = page.locator('aside');
    const card = side.getByTestId('attachment-link');
    await card.waitFor();
    expect(await card.getByTestId('attachment-meta').textContent()).toMatch(/^Excel workbook · \d+ B$/);
    const overflow = await side.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBe(0);
    const [sideBox, cardBox] = [await side.boundingBox(), await card.boundingBox()];
    expect(cardBox!.x + cardBox!.width).toBeLessThanOrEqual(sideBox!.x + sideBox!.width);
    await screenshot(page, 'ticket-excel-attachment');
    await context.close();
  });

  it('loads remote images through Mailroom only on request', async () => {
    const src = `http://127.0.0.1:${(images.address() as AddressInfo).port}/logo.png`;
    const raw = twoFromHeaders({ to: user, subject: 'Remote logo' }).toString()
      .replace('Content-Type: text/plain; charset=utf-8', 'Content-Type: text/html; charset=utf-8')
      .replace('Sent from the portal.', `<p>Our logo:</p><img src="${src}" width="1200" height="600">`);
    await getDovecot().deliver(user, raw);
    const id = await ticketIdOf('Remote logo');
    const { context, page } = await signedInPage(browser, t.url);
    await page.goto(`${t.url}/requests/${id}`);
    await page.getByTestId('remote-images-blocked').waitFor();
    const logo = page.frameLocator('[data-testid="message-html"]').locator('img');
    // Not loaded, and a small placeholder rather than a 1200 px grey box.
    const [blockedSrc, blockedWidth] = await logo.evaluate((i) => [i.getAttribute('src'), i.getBoundingClientRect().width] as const);
    expect(blockedSrc).toBeNull();
    expect(blockedWidth).toBeLessThan(30);
    await page.getByTestId('load-remote-images').click();
    await expect.poll(() => logo.evaluate((i) => (i as HTMLImageElement).naturalWidth), { timeout: 15_000 }).toBe(2);
    expect(await logo.getAttribute('src')).toMatch(/^\/api\/messages\/[0-9a-f-]{36}\/remote-images\/0$/);
    await context.close();
  });
});
