// The admin's main flow in a real browser against a PRIVATE Dovecot that the test stops and
// starts: add an IMAP mailbox through the drawer, test it, watch a mail become a request live in
// a technician's view, break the mailbox and repair it while watching the card and the bell, and
// route the next mail with a rule edited in the rules panel.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { mail } from '../testkit/mail.ts';
import { startDovecot, type Dovecot } from '../testkit/services/dovecot.ts';
import {
  RULES_PATH,
  SERVERS_PATH,
  launchBrowser,
  screenshot,
  signedInPage,
} from './helpers.ts';

// Short health windows so recovery is declared after 1.5 s of stable connection, not minutes.
const ENV = { MAILROOM_HEALTH_RECOVERY_STABLE_MS: '1500', MAILROOM_HEALTH_FLAP_WINDOW_MS: '3000' };

describe('a mailbox from setup to outage and back, in the browser', () => {
  let t: TestApp;
  let dovecot: Dovecot;
  let browser: Browser;
  let admin: Page;
  let tech: Page;
  const mailbox = `desk-${randomUUID().slice(0, 8)}@example.test`;
  let billingGroup: string;

  beforeAll(async () => {
    [dovecot, t, browser] = await Promise.all([startDovecot(), startTestApp({ env: ENV }), launchBrowser()]);
    await dovecot.addUser(mailbox, 'desk-pass');
    await t.seed.technicianGroup('Service Desk');
    billingGroup = await t.seed.technicianGroup('Billing');
    await t.seed.technician({ email: 'tess@mailroom.test', password: 'tess-password-1' });
    // A rule that exists before the test edits it in the panel.
    await t.seed.rule({ name: 'Invoices', conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'invoice' }], actions: { priority: 'Low' } });
    ({ page: admin } = await signedInPage(browser, t.url));
    ({ page: tech } = await signedInPage(browser, t.url, { email: 'tess@mailroom.test', password: 'tess-password-1' }));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await dovecot?.dispose();
  });

  const card = () => admin.getByTestId('server-card').filter({ hasText: mailbox });
  const status = () => card().getByTestId('server-status');

  it('adds an IMAP server through the drawer and runs Test Connection', async () => {
    await admin.goto(`${t.url}${SERVERS_PATH}`);
    await admin.getByText('No incoming email servers yet').waitFor();
    await admin.getByTestId('add-server').click();
    const form = admin.getByTestId('server-form');
    await form.waitFor();
    // Provider first; "Other" shows the connection fields, Microsoft hides them.
    await admin.getByTestId('provider-MICROSOFT').click();
    await admin.getByTestId('provider-managed').waitFor();
    expect(await admin.getByTestId('field-host').count()).toBe(0);
    await admin.getByTestId('provider-OTHER').click();

    await admin.getByTestId('field-name').fill('Service desk');
    await admin.getByTestId('field-email').fill(mailbox);
    await admin.getByTestId('field-host').fill('127.0.0.1');
    // The port follows protocol and security until it is typed.
    expect(await admin.getByTestId('field-port').inputValue()).toBe('993');
    await admin.getByTestId('field-security').selectOption('NONE');
    expect(await admin.getByTestId('field-port').inputValue()).toBe('143');
    await admin.getByTestId('field-protocol').selectOption('POP3');
    expect(await admin.getByTestId('field-port').inputValue()).toBe('110');
    await admin.getByTestId('field-protocol').selectOption('IMAP');
    await admin.getByTestId('field-port').fill(String(dovecot.ports.imap));
    await admin.getByTestId('field-technicianGroupId').selectOption({ label: 'Service Desk' });

    // A typed field error comes back from the server and is shown at the field.
    await admin.getByTestId('server-save').click();
    await expect.poll(() => form.locator('[aria-invalid="true"]').count()).toBeGreaterThan(0);
    await admin.getByText('Enter the password (or app password)').waitFor();
    await screenshot(admin, 'server-drawer-field-error');
    await admin.getByTestId('field-password').fill('desk-pass');
    // Typing in the field clears its error.
    await admin.getByText('Enter the password (or app password)').waitFor({ state: 'detached' });
    await admin.getByTestId('server-save').click();

    await card().waitFor();
    await admin.waitForFunction(
      (email) => [...document.querySelectorAll('[data-testid="server-card"]')].some((c) => c.textContent?.includes(email) && c.querySelector('[data-status="REACHABLE"]')),
      mailbox,
      { timeout: 15_000 },
    );
    await card().getByTestId('test-connection').click();
    const result = card().getByTestId('test-connection-result');
    await result.waitFor({ timeout: 15_000 });
    expect(await result.getAttribute('data-ok')).toBe('true');
    const stages = await card().getByTestId('test-connection-stage').evaluateAll((els) => els.map((el) => el.getAttribute('data-stage')));
    expect(stages).toEqual(['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL']);
    await screenshot(admin, 'incoming-servers');
  });

  it('shows a delivered mail live in the technician’s requests', async () => {
    await tech.goto(`${t.url}/requests`);
    await tech.getByText('No requests yet').waitFor();
    // A technician has no admin screens.
    expect(await tech.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await tech.goto(`${t.url}${SERVERS_PATH}`);
    await tech.waitForURL((u) => u.pathname === '/requests');

    await dovecot.deliver(mailbox, mail({ from: 'Grace Hopper <grace@customer.example>', to: mailbox, subject: 'Printer on fire', body: 'Please send help.' }));
    const row = tech.getByTestId('ticket-row').filter({ hasText: 'Printer on fire' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('ticket-group').textContent()).toContain('Service Desk');
    await screenshot(tech, 'requests-technician');

    await row.getByRole('link', { name: 'Printer on fire' }).click();
    await tech.getByTestId('ticket-message').first().waitFor();
    expect(await tech.getByTestId('message-from').first().textContent()).toContain('Grace Hopper');
    await screenshot(tech, 'ticket');
  });

  it('turns the card Unreachable and rings the bell when Dovecot stops, and recovers when it is back', async () => {
    await admin.goto(`${t.url}${SERVERS_PATH}`);
    await card().waitFor();
    expect(await status().getAttribute('data-status')).toBe('REACHABLE');
    expect(await admin.getByTestId('notifications-unread').count()).toBe(0);

    await dovecot.stop();
    try {
      await expect.poll(() => status().getAttribute('data-status'), { timeout: 20_000 }).toBe('UNREACHABLE');
      await card().getByTestId('server-last-error').waitFor();
      // The notification arrives over the subscription: the badge appears without a reload.
      await admin.getByTestId('notifications-unread').waitFor({ timeout: 10_000 });
      await admin.getByTestId('toast').first().waitFor();
      await screenshot(admin, 'server-unreachable');

      await card().getByTestId('server-error-details').click();
      await admin.getByTestId('server-error-panel').waitFor();
      await admin.waitForTimeout(300); // the drawer slides in
      await screenshot(admin, 'server-details');
      await admin.keyboard.press('Escape');

      await admin.getByTestId('notifications-bell').click();
      const unreachable = admin.getByTestId('notification-item').filter({ has: admin.locator('[data-kind="SERVER_UNREACHABLE"]') });
      await admin.locator('[data-testid="notification-item"][data-kind="SERVER_UNREACHABLE"]').waitFor();
      expect(await unreachable.count()).toBeLessThanOrEqual(1);
      await screenshot(admin, 'notifications');
      await admin.keyboard.press('Escape');
    } finally {
      // The next test reads mail: whatever failed above, the server comes back.
      await dovecot.start();
    }
    await expect.poll(() => status().getAttribute('data-status'), { timeout: 30_000 }).toBe('REACHABLE');
    await admin.getByTestId('notifications-bell').click();
    await admin.locator('[data-testid="notification-item"][data-kind="SERVER_RECOVERED"]').waitFor({ timeout: 15_000 });
    await admin.getByTestId('notifications-read-all').click();
    await admin.getByTestId('notifications-unread').waitFor({ state: 'detached' });
    await admin.keyboard.press('Escape');
  });

  it('routes the next mail with a rule edited in the rules panel', async () => {
    await admin.goto(`${t.url}${RULES_PATH}`);
    const rule = admin.getByTestId('rule-item').filter({ hasText: 'Invoices' });
    await rule.waitFor();
    await rule.getByTestId('rule-edit').click();
    await admin.getByTestId('rule-form').waitFor();
    await admin.getByTestId('rule-group').selectOption(billingGroup);
    await admin.getByTestId('rule-stop').check();
    await admin.waitForTimeout(300);
    await screenshot(admin, 'rule-editor');
    await admin.getByTestId('rule-save').click();
    await rule.getByText('group Billing').waitFor();

    // The dry run says what will happen before any mail is sent.
    await admin.getByTestId('dry-run-raw').fill(
      mail({ from: 'Ada <ada@customer.example>', to: mailbox, subject: 'Invoice 42 is wrong', body: 'The total is off.' }),
    );
    await admin.getByTestId('dry-run-submit').click();
    const outcome = admin.getByTestId('dry-run-result');
    await outcome.waitFor();
    expect(await outcome.getAttribute('data-outcome')).toBe('TICKET_CREATED');
    expect(await admin.getByTestId('dry-run-group').textContent()).toBe('Billing');
    expect(await admin.getByTestId('dry-run-matched-rule').allTextContents()).toEqual([' Invoices']);
    await screenshot(admin, 'rules', true);

    await tech.goto(`${t.url}/requests`);
    await tech.getByTestId('ticket-row').first().waitFor();
    await dovecot.deliver(mailbox, mail({ from: 'Ada <ada@customer.example>', to: mailbox, subject: 'Invoice 42 is wrong', body: 'The total is off.' }));
    const row = tech.getByTestId('ticket-row').filter({ hasText: 'Invoice 42 is wrong' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('ticket-group').textContent()).toContain('Billing');
  });
});
