// Issue 10 in a browser: a technician finds a request, takes it, answers the requester by email
// with an attachment (caught by a real SMTP server) and sets it Pending; the requester's answer,
// delivered over LMTP to Dovecot, arrives live and re-opens it. Screenshots at both widths land in
// test/artifacts/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import type { SeededTechnician } from '../testkit/seed.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';
import { waitFor } from '../testkit/services/util.ts';
import { ticketMailbox, type TicketMailbox } from '../testkit/tickets.ts';
import { PHONE, launchBrowser, screenshot, signedInPage } from './helpers.ts';

describe('working a ticket in the browser', () => {
  let t: TestApp;
  let relay: SmtpSink;
  let browser: Browser;
  let desk: TicketMailbox;
  let tess: SeededTechnician;
  let page: Page;

  beforeAll(async () => {
    [t, relay, browser] = await Promise.all([startTestApp(), startSmtpSink(), launchBrowser()]);
    await t.seed.outgoingServer({ name: 'Relay', host: '127.0.0.1', port: relay.port, security: 'NONE', authType: 'NONE', fromAddress: 'relay@helpdesk.example', fromName: 'Help Desk', primary: true });
    const printers = await t.seed.technicianGroup('Printers');
    desk = await ticketMailbox(t, { name: 'Printer desk', technicianGroupId: printers });
    tess = await t.seed.technician({ name: 'Tess Tech', email: 'tess@mailroom.test', password: 'tess-password-1', groupIds: [printers] });
    await desk.newTicket({ from: 'Grace Hopper <grace@customer.example>', subject: 'Scanner jams on page 2', body: 'Every time.' });
    await desk.newTicket({ from: 'Ada Lovelace <ada@customer.example>', subject: 'Printer on fire', body: 'Smoke everywhere, the toner is melting.' });
    ({ page } = await signedInPage(browser, t.url, { email: tess.email, password: tess.password }));
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([t?.stop(), relay?.close()]);
  });

  const rows = () => page.getByTestId('ticket-row');
  const messages = (kind: string) => page.locator(`[data-testid="ticket-message"][data-kind="${kind}"]`);

  it('searches, takes the ticket, replies with an attachment and sets Pending; the answer arrives live and re-opens it', async () => {
    await page.goto(`${t.url}/requests`);
    await rows().first().waitFor();
    expect(await rows().count()).toBe(2);
    // Never opened: both are unread for Tess.
    expect(await page.locator('[data-testid="ticket-row"][data-unread]').count()).toBe(2);

    // `/` jumps to the search box from anywhere on the page.
    await page.locator('body').press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('ticket-search');
    await page.keyboard.type('toner');
    await expect.poll(() => rows().count()).toBe(1);
    const row = rows().first();
    expect(await row.textContent()).toContain('Printer on fire');
    expect(await row.getByTestId('ticket-assignee').textContent()).toContain('Unassigned');
    expect(await row.getByTestId('ticket-status').textContent()).toContain('Open');
    await screenshot(page, 'work-requests-search');

    await row.getByRole('link', { name: 'Printer on fire' }).click();
    await page.getByTestId('ticket-controls').waitFor();
    const number = (await page.getByTestId('ticket-detail-number').textContent())!.trim();

    await page.getByTestId('assign-to-me').click();
    await page.getByTestId('ticket-event').filter({ hasText: 'You assigned it to Tess Tech' }).waitFor();
    // The select follows once its list of assignees (loaded beside the ticket) holds the new one.
    await expect.poll(() => page.getByTestId('control-assignee').inputValue()).toBe(tess.id);

    // `r` opens the reply with the cursor in it.
    await page.locator('body').press('r');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('reply-body');
    await page.keyboard.type('Please **unplug** it and step away.\n\nThe steps are attached.');
    // Markdown goes out as HTML with a text alternative.
    await page.getByTestId('reply-format').getByText('Markdown').click();
    await page.getByTestId('reply-file-input').setInputFiles({ name: 'steps.txt', mimeType: 'text/plain', buffer: Buffer.from('step 1: unplug\n') });
    await page.getByTestId('reply-attachment').filter({ hasText: 'steps.txt' }).waitFor();
    await page.getByTestId('reply-send-menu').click();
    await page.getByTestId('reply-send-pending').click();

    const reply = messages('OUTGOING').first();
    await reply.locator('[data-testid="message-delivery"][data-status="SENT"]').waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await page.getByTestId('ticket-detail-status').textContent())?.trim()).toBe('Pending');
    expect(await reply.getByTestId('message-text').textContent()).toContain('Please unplug it');
    expect(await reply.getByTestId('attachment-link').textContent()).toContain('steps.txt');

    // The requester's side, read from the SMTP server that caught it.
    await waitFor('the reply at the relay', () => relay.received.some((m) => m.parsed.subject?.startsWith('Re: ')));
    const mail = relay.received.find((m) => m.parsed.subject?.startsWith('Re: '))!;
    expect(mail.envelope.to).toEqual(['ada@customer.example']);
    expect(mail.parsed.from?.value[0]?.address).toBe(desk.address);
    expect(mail.parsed.subject).toBe(`Re: Printer on fire [#${number}]`);
    expect(mail.parsed.html).toContain('<strong>unplug</strong>');
    expect(mail.parsed.text).toMatch(/Please unplug it and step away\.\s+The steps are attached\./);
    expect(mail.parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['steps.txt', 'step 1: unplug\n']]);
    await screenshot(page, 'work-ticket-pending', true);

    // Ada answers the reply; it comes in over LMTP → Dovecot → IMAP IDLE, and shows up without a reload.
    await desk.deliver({ from: 'Ada Lovelace <ada@customer.example>', subject: `Re: Printer on fire [#${number}]`, body: 'Unplugged. It stopped smoking, thanks!', headers: `In-Reply-To: ${mail.parsed.messageId}` });
    await messages('INCOMING').filter({ hasText: 'It stopped smoking' }).waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await page.getByTestId('ticket-detail-status').textContent())?.trim()).toBe('Open');
    await page.getByTestId('ticket-event').filter({ hasText: "The requester's reply set status from Pending to Open" }).waitFor();
    // The bell: a requester answered on a ticket of hers; the notification leads to the ticket.
    await page.getByTestId('notifications-bell').click();
    const replied = page.locator('[data-testid="notification-item"][data-kind="REQUESTER_REPLIED"]');
    await replied.waitFor();
    expect(await replied.textContent()).toContain(`${number}: the requester replied`);
    await screenshot(page, 'work-notifications');
    await page.keyboard.press('Escape');

    // `n` writes an internal note: in the conversation, marked as such, never mailed.
    const mailsBefore = relay.received.length;
    await page.locator('body').press('n');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('note-body');
    await page.keyboard.type('Toner recall: check the batch number.');
    await page.getByTestId('note-save').click();
    await messages('NOTE').filter({ hasText: 'Toner recall' }).waitFor();
    expect(await messages('NOTE').first().textContent()).toContain('Internal note');
    await screenshot(page, 'work-ticket-desktop', true);

    // The list: Tess's, open again, read (she has it open), top by last activity.
    await page.goto(`${t.url}/requests?view=mine`);
    await rows().first().waitFor();
    expect(await rows().count()).toBe(1);
    expect(await rows().first().getAttribute('data-unread')).toBeNull();
    expect(await rows().first().getByTestId('ticket-assignee').textContent()).toContain('Tess Tech');
    expect(relay.received.length).toBe(mailsBefore);
    await screenshot(page, 'work-requests-mine');
  });

  it('lays the list and the ticket out for a phone', async () => {
    const phone = await signedInPage(browser, t.url, { email: tess.email, password: tess.password, viewport: PHONE });
    await phone.page.goto(`${t.url}/requests`);
    await phone.page.getByTestId('ticket-row').first().waitFor();
    await screenshot(phone.page, 'work-phone-requests', true);
    await phone.page.getByTestId('ticket-row').filter({ hasText: 'Printer on fire' }).getByRole('link').click();
    await phone.page.getByTestId('ticket-editor').waitFor();
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'work-phone-ticket', true);
    await phone.context.close();
  });

  it('switches notifications and changes the password in the profile', async () => {
    await page.getByTestId('profile-link').click();
    const newTicket = page.getByTestId('notify-new-ticket');
    await newTicket.waitFor();
    expect(await newTicket.isChecked()).toBe(true);
    // Reloaded only once the server answered the change (a reload could abort it on its way).
    const saved = page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('UpdateMyNotificationSettings'));
    await newTicket.click();
    await saved;
    await page.reload();
    await newTicket.waitFor();
    expect(await newTicket.isChecked()).toBe(false);

    await page.getByTestId('password-current').fill('not my password');
    await page.getByTestId('password-new').fill('tess-password-2');
    await page.getByTestId('password-repeat').fill('tess-password-2');
    await page.getByTestId('password-save').click();
    await page.getByText('That is not your current password.').waitFor();
    await page.getByTestId('password-current').fill(tess.password);
    await page.getByTestId('password-save').click();
    await page.getByTestId('password-changed').waitFor();
    await screenshot(page, 'work-profile');
    const again = await signedInPage(browser, t.url, { email: tess.email, password: 'tess-password-2' });
    expect(new URL(again.page.url()).pathname).toBe('/requests');
    await again.context.close();
  });
});
