// Issue 10 item 8: subscriptions only carry what happens while the socket is open. The live
// connection is cut (the page's WebSocket closed and refused for a while), a ticket is created
// meanwhile, and once graphql-ws reconnects the SPA re-fetches what it shows: the ticket is there.
import type { WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { ticketMailbox, type TicketMailbox } from '../testkit/tickets.ts';
import { launchBrowser, screenshot, signedInPage, type Browser } from './helpers.ts';

describe('after a WebSocket reconnect', () => {
  let t: TestApp;
  let browser: Browser;
  let desk: TicketMailbox;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(), launchBrowser()]);
    desk = await ticketMailbox(t, { name: 'Reconnect desk' });
    await desk.newTicket({ from: 'grace@customer.example', subject: 'Before the gap', body: 'One.' });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('shows a ticket created while the live connection was down', async () => {
    let refusing = false;
    const open = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();
    const { page } = await signedInPage(browser, t.url, {
      prepare: (context) =>
        context.routeWebSocket(/\/graphql$/, (ws) => {
          // 1001 (going away) is a close graphql-ws retries, as after a proxy or server restart.
          if (refusing) return void ws.close({ code: 1001, reason: 'test: network down' });
          open.add({ page: ws, server: ws.connectToServer() });
        }),
    });
    await page.goto(`${t.url}/requests`);
    const rows = page.getByTestId('ticket-row');
    await rows.filter({ hasText: 'Before the gap' }).waitFor();
    await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();

    refusing = true;
    for (const socket of open) {
      await socket.server.close();
      await socket.page.close({ code: 1001, reason: 'test: network down' });
    }
    open.clear();
    await page.locator('[data-testid="live-status"][data-state="reconnecting"]').waitFor();

    await desk.newTicket({ from: 'ada@customer.example', subject: 'During the gap', body: 'Two.' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await rows.filter({ hasText: 'During the gap' }).count()).toBe(0);
    await screenshot(page, 'reconnect-gap');

    refusing = false;
    await page.locator('[data-testid="live-status"][data-state="live"]').waitFor({ timeout: 30_000 });
    await rows.filter({ hasText: 'During the gap' }).waitFor({ timeout: 10_000 });
    expect(await rows.count()).toBe(2);

    // And live again: a ticket after the reconnect arrives over the subscription.
    await desk.newTicket({ from: 'ada@customer.example', subject: 'After the gap', body: 'Three.' });
    await rows.filter({ hasText: 'After the gap' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'reconnect-after');
  });
});
