// An installation with many mailboxes: the servers page draws its cards a page at a time as they
// scroll into view, while the summary, the search and the filters cover every server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { SERVERS_PATH, launchBrowser, signedInPage, type Browser } from './helpers.ts';

describe('the servers page with 150 mailboxes', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    for (let i = 1; i <= 150; i++) {
      const n = String(i).padStart(3, '0');
      await t.seed.incomingServer({ name: `Mailbox ${n}`, email: `box${n}@example.test`, protocol: 'IMAP', host: 'imap.example.test', port: 993, security: 'SSL', password: 'pw', enabled: false });
    }
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('draws sixty cards, more as they are scrolled to, and searches all of them', async () => {
    const { context, page } = await signedInPage(browser, t.url);
    try {
      await page.goto(`${t.url}${SERVERS_PATH}`);
      await expect.poll(() => page.getByTestId('servers-summary').textContent()).toContain('150 servers');
      const cards = page.getByTestId('server-card');
      expect(await cards.count()).toBe(60);
      // Scrolling to the end of what is drawn draws more, a page at a time, until every card is there.
      const more = page.getByTestId('servers-more');
      await more.scrollIntoViewIfNeeded();
      await expect.poll(() => cards.count()).toBeGreaterThanOrEqual(120);
      await expect.poll(async () => {
        if (await more.count()) await more.scrollIntoViewIfNeeded().catch(() => undefined);
        return cards.count();
      }).toBe(150);
      expect(await more.count()).toBe(0);

      // A search reaches a server that was not drawn at first, and a cleared one starts over.
      await page.getByTestId('servers-search').fill('box149@');
      await expect.poll(() => cards.count()).toBe(1);
      await expect.poll(() => cards.first().textContent()).toContain('Mailbox 149');
      await page.getByTestId('servers-search').fill('');
      await expect.poll(() => cards.count()).toBe(60);
    } finally {
      await context.close();
    }
  });
});
