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

  it('draws a page of cards, more as they are scrolled to, and searches all of them', async () => {
    const { context, page } = await signedInPage(browser, t.url);
    try {
      await page.goto(`${t.url}${SERVERS_PATH}`);
      await expect.poll(() => page.getByTestId('servers-summary').textContent()).toContain('150 servers');
      const cards = page.getByTestId('server-card');
      expect(await cards.count()).toBe(24);
      // Scrolling to the end of what is drawn draws more, a page at a time, until every card is there.
      const more = page.getByTestId('servers-more');
      await more.scrollIntoViewIfNeeded();
      await expect.poll(() => cards.count()).toBeGreaterThanOrEqual(48);
      await expect.poll(async () => {
        if (await more.count()) await more.scrollIntoViewIfNeeded().catch(() => undefined);
        return cards.count();
      }, { timeout: 15_000 }).toBe(150);
      expect(await more.count()).toBe(0);

      // A search reaches a server that was not drawn at first, and a cleared one starts over.
      await page.getByTestId('servers-search').fill('box149@');
      await expect.poll(() => cards.count()).toBe(1);
      await expect.poll(() => cards.first().textContent()).toContain('Mailbox 149');
      await page.getByTestId('servers-search').fill('');
      await expect.poll(() => cards.count()).toBe(24);
    } finally {
      await context.close();
    }
  });

  // The list holds what the cards show; the drawer and the switch read a server's whole settings.
  it('edits a server with its saved settings and switches one on from its card', async () => {
    const { context, page } = await signedInPage(browser, t.url);
    try {
      await page.goto(`${t.url}${SERVERS_PATH}`);
      const search = page.getByTestId('servers-search');
      const card = page.getByTestId('server-card');
      await search.fill('box140@');
      await expect.poll(() => card.count()).toBe(1);

      await card.getByTestId('edit-server').click();
      await expect.poll(() => page.getByTestId('field-name').inputValue()).toBe('Mailbox 140');
      expect(await page.getByTestId('field-host').inputValue()).toBe('imap.example.test');
      expect(await page.getByTestId('field-port').inputValue()).toBe('993');
      expect(await page.getByTestId('field-security').inputValue()).toBe('SSL');
      await page.getByTestId('field-name').fill('Mailbox 140 renamed');
      await page.getByTestId('server-save').click();
      await page.getByTestId('server-form').waitFor({ state: 'detached' });
      await expect.poll(() => card.getByTestId('server-name').textContent()).toBe('Mailbox 140 renamed');

      await search.fill('box141@');
      await expect.poll(() => card.getByTestId('server-name').textContent()).toBe('Mailbox 141');
      expect(await card.getByTestId('server-enabled').textContent()).toBe('Disabled');
      await card.getByTestId('server-enabled-toggle').click();
      await expect.poll(() => card.getByTestId('server-enabled').textContent()).toBe('Enabled');

      // Both were saved whole: the settings the drawer did not touch are as they were.
      const saved = (await t.admin.raw(`{ incomingEmailServers { email name enabled host port security passwordSet } }`)).data.incomingEmailServers;
      expect(saved.find((s: { email: string }) => s.email === 'box140@example.test')).toEqual({
        email: 'box140@example.test', name: 'Mailbox 140 renamed', enabled: false, host: 'imap.example.test', port: 993, security: 'SSL', passwordSet: true,
      });
      expect(saved.find((s: { email: string }) => s.email === 'box141@example.test')).toEqual({
        email: 'box141@example.test', name: 'Mailbox 141', enabled: true, host: 'imap.example.test', port: 993, security: 'SSL', passwordSet: true,
      });
    } finally {
      await context.close();
    }
  });
});
