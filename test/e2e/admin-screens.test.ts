// Every admin and technician screen with realistic data, at 1280×800 and at 390 px wide, plus the
// flows that leave the SPA and come back: OAuth sign-in through a real (mock) identity provider,
// and an expired session. Screenshots land in test/artifacts/ for people to look at.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { startOAuthIdp, type OAuthIdp } from '../testkit/services/oauth-idp.ts';
import { freePorts, waitFor } from '../testkit/services/util.ts';
import {
  PHONE,
  RULES_PATH,
  horizontalOverflow,
  SERVERS_PATH,
  launchBrowser,
  screenshot,
  signedInPage,
} from './helpers.ts';

const EMAILS = '/admin/support-channel/emails';
const AuditEntries = graphql(`query ScreensAuditEntries { emailAuditLog { nodes { id } } }`);
const Preference = graphql(`query ScreensPreference { emailPreference { acknowledgmentSubject } }`);
const SECURITY = '/admin/organization/security';
/** Path, a test id that shows the screen has its data, and a name for its screenshot. */
const MAIN_SCREENS = [
  [SERVERS_PATH, 'server-card', 'servers'],
  ['/requests', 'ticket-row', 'requests'],
  [RULES_PATH, 'rule-item', 'rules'],
  [`${EMAILS}/email-preference`, 'email-preference-form', 'preference'],
  [`${EMAILS}/outgoing-email-servers`, 'outgoing-card', 'outgoing'],
  [`${EMAILS}/proxy-servers`, 'proxy-row', 'proxies'],
  // Handled messages shown too: the one held is released by an earlier test.
  [`${EMAILS}/quarantine?resolved=1`, 'quarantine-entry', 'quarantine'],
  [`${SECURITY}/email-audit`, 'audit-row', 'email-audit'],
  [`${SECURITY}/configuration-audit`, 'config-audit-entry', 'config-audit'],
  ['/admin/organization/groups-and-categories', 'catalog-groups', 'catalog'],
] as const;

/** HTML with an inline (cid) image, a remote tracking pixel and a PDF attachment. */
function htmlMail(from: string, to: string, subject: string): string {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAJUlEQVR4nGPwd3sKR+8+/IcjXOIMg1ADMYqQxQejhkEYrCMxHgB9Xiufd9zX2QAAAABJRU5ErkJggg==';
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <${randomUUID()}@customer.example>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mixed"',
    '',
    '--mixed',
    'Content-Type: multipart/related; boundary="related"',
    '',
    '--related',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Hello,</p><p>the <b>dashboard</b> shows this error <img src="cid:shot@customer" alt="screenshot" width="64" height="64">.</p>',
    '<p onclick="alert(1)">Clicking here must do nothing.</p><script>parent.document.title="pwned"</script>',
    '<img src="https://tracker.example/pixel.gif"><blockquote>Earlier: it worked yesterday.</blockquote>',
    '--related',
    'Content-Type: image/png',
    'Content-ID: <shot@customer>',
    'Content-Disposition: inline; filename="shot.png"',
    'Content-Transfer-Encoding: base64',
    '',
    png,
    '--related--',
    '--mixed',
    'Content-Type: application/pdf; name="invoice-1042.pdf"',
    'Content-Disposition: attachment; filename="invoice-1042.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4\n% test\n').toString('base64'),
    '--mixed--',
    '',
  ].join('\r\n');
}

describe('every screen, narrow and wide, and the flows that leave the SPA', () => {
  let t: TestApp;
  let idp: OAuthIdp;
  let browser: Browser;
  let admin: Page;
  const dovecot = getDovecot();
  const mailbox = `screens-${randomUUID().slice(0, 8)}@example.test`;
  let groupId: string;

  beforeAll(async () => {
    [t, idp, browser] = await Promise.all([startTestApp(), startOAuthIdp({ tls: false, defaultUser: 'oauth@example.test' }), launchBrowser()]);
    await dovecot.addUser(mailbox, 'screens-pass');
    groupId = await t.seed.technicianGroup('Service Desk');
    await t.seed.technicianGroup('Billing');
    await t.seed.category('Hardware');
    await t.seed.category('Accounts');
    await t.seed.technician({ email: 'tom@mailroom.test', password: 'tom-password-1', name: 'Tess Technician', groupIds: [groupId] });
    await t.seed.appSettings({ mspEnabled: true });
    await t.seed.company('Contoso');
    const [closedPort] = await freePorts(1);
    await t.seed.incomingServer({ name: 'Support', email: mailbox, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', password: 'screens-pass', realTimeScanning: true, primary: true, technicianGroupId: groupId });
    await t.seed.incomingServer({ name: 'Old helpdesk', email: 'old@example.test', protocol: 'IMAP', host: '127.0.0.1', port: closedPort, security: 'NONE', password: 'x' });
    await t.seed.incomingServer({ name: 'Legacy POP3', email: 'legacy@example.test', protocol: 'POP3', host: 'pop.example.test', security: 'SSL', password: 'x', enabled: false });
    await t.seed.proxyServer({ name: 'Office proxy', type: 'SOCKS5', host: 'proxy.example.test', port: 1080, username: 'mailroom', password: 'proxy-secret' });
    await t.seed.outgoingServer({ name: 'Company SMTP', fromAddress: 'support@example.test', fromName: 'Example Support', host: '127.0.0.1', port: closedPort, security: 'NONE', authType: 'NONE' });
    await t.seed.rule({ name: 'VIP customers', match: 'ANY', conditions: [{ field: 'FROM', operator: 'ENDS_WITH', value: '@bigcustomer.example' }, { field: 'SUBJECT', operator: 'STARTS_WITH', value: '[urgent]' }], actions: { priority: 'High' } });
    await t.seed.rule({ name: 'Hardware', conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'printer' }], actions: { technicianGroupId: groupId, requestType: 'Incident' }, stopProcessing: true });
    await dovecot.deliver(mailbox, htmlMail('Grace Hopper <grace@customer.example>', mailbox, 'Dashboard error after update'));
    await dovecot.deliver(mailbox, mail({ from: 'Ada <ada@bigcustomer.example>', to: mailbox, subject: 'Printer jam on floor 3', body: 'The printer is jammed again.' }));
    await dovecot.deliver(mailbox, mail({ from: 'Out of office <ooo@customer.example>', to: mailbox, subject: 'Automatic reply: away', body: 'I am away.', headers: 'Auto-Submitted: auto-replied' }));
    // No sender at all: kept in quarantine for an admin.
    await dovecot.deliver(mailbox, ['To: ' + mailbox, 'Subject: Who sent this?', `Message-ID: <${randomUUID()}@nowhere>`, '', 'No From header.', ''].join('\r\n'));
    await waitFor('four audit entries', async () => (await t.admin.execute(AuditEntries)).emailAuditLog.nodes.length === 4, 20_000, 200);
    ({ page: admin } = await signedInPage(browser, t.url));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await idp?.dispose();
  });

  async function visit(page: Page, path: string, ready: string): Promise<void> {
    await page.goto(`${t.url}${path}`);
    await page.getByTestId(ready).first().waitFor();
  }

  it('shows the servers page with live health, charts and the drawer’s provider-specific fields', async () => {
    await visit(admin, SERVERS_PATH, 'server-card');
    const down = admin.getByTestId('server-card').filter({ hasText: 'Old helpdesk' });
    await down.locator('[data-status="UNREACHABLE"]').waitFor({ timeout: 15_000 });
    const support = admin.getByTestId('server-card').filter({ hasText: 'Support' });
    await support.locator('figcaption').getByText('Ticket created').waitFor();
    // "Last checked" can be trusted to within what the card says.
    // Dovecot's IDLE is known to push: checked at the poll interval besides (mail/imap/imap-push.ts).
    expect(await support.getByTestId('server-check-interval').textContent()).toBe('Real-time · pushed by the server, checked every 2 min');
    await support.getByTestId('server-last-sync').waitFor();
    await screenshot(admin, 'screens-servers', true);

    await admin.getByTestId('add-server').click();
    await admin.getByTestId('provider-MICROSOFT').click();
    // No Microsoft app registration on this installation: the drawer says so, and what to set.
    await admin.getByTestId('provider-MICROSOFT-not-set-up').waitFor();
    expect(await admin.getByTestId('oauth-provider-not-configured').textContent()).toContain('MAILROOM_MICROSOFT_CLIENT_ID');
    expect(await admin.getByTestId('oauth-provider-configured').count()).toBe(0);
    await admin.getByTestId('field-protocol').selectOption('EWS');
    await admin.getByTestId('ews-retirement').waitFor();
    await admin.getByTestId('field-companyId').waitFor();
    await admin.waitForTimeout(300);
    await screenshot(admin, 'screens-drawer-microsoft');
    await admin.getByTestId('switch-to-graph').click();
    expect(await admin.getByTestId('field-protocol').inputValue()).toBe('GRAPH');
    await admin.keyboard.press('Escape');
    await admin.getByTestId('server-form').waitFor({ state: 'detached' });
  });

  it('flags every missing field at once, then tests the unsaved settings stage by stage', async () => {
    const cards = await admin.getByTestId('server-card').count();
    await admin.getByTestId('add-server').click();
    await admin.getByTestId('provider-OTHER').click();
    await admin.getByTestId('server-save').click();
    // One round: every field the settings cannot do without is flagged at the first submit.
    for (const field of ['name', 'email', 'host', 'password']) {
      expect(await admin.getByTestId(`field-${field}`).getAttribute('aria-invalid'), field).toBe('true');
    }
    await admin.getByTestId('server-form-error').waitFor();
    await screenshot(admin, 'screens-drawer-all-fields');
    await admin.getByTestId('field-name').fill('Unsaved mailbox');
    await admin.getByTestId('field-email').fill(mailbox);
    await admin.getByTestId('field-host').fill('127.0.0.1');
    await admin.getByTestId('field-security').selectOption('NONE');
    await admin.getByTestId('field-port').fill(String(dovecot.ports.imap));
    await admin.getByTestId('field-password').fill('not-the-password');
    // Fixed, the banner goes.
    await admin.getByTestId('server-form-error').waitFor({ state: 'detached' });

    await admin.getByTestId('server-test').click();
    // The stages show as they run (Dovecot delays a refused login), then the result.
    await admin.getByTestId('test-connection-live-stage').first().waitFor();
    const result = admin.getByTestId('test-connection-result');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getAttribute('data-ok')).toBe('false');
    const stages = await result.getByTestId('test-connection-stage').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-stage')}:${el.getAttribute('data-state')}`));
    expect(stages).toEqual(['DNS:ok', 'TCP:ok', 'TLS:skipped', 'AUTH:failed', 'PROTOCOL:skipped']);
    // A refused password: password causes, no OAuth token talk.
    const words = await result.textContent();
    expect(words).toContain('Failed at');
    expect(words).not.toMatch(/token/i);
    await screenshot(admin, 'screens-drawer-test-unsaved');
    await admin.keyboard.press('Escape');
    await admin.getByTestId('server-form').waitFor({ state: 'detached' });
    // Nothing was saved.
    expect(await admin.getByTestId('server-card').count()).toBe(cards);
  });

  it('runs the OAuth redirect flow and reopens the drawer with the result', async () => {
    const redirectUrl = `${t.url}/oauth/callback`;
    await admin.getByTestId('add-server').click();
    await admin.getByTestId('field-name').fill('OAuth mailbox');
    await admin.getByTestId('field-email').fill('oauth@example.test');
    await admin.getByTestId('field-host').fill('127.0.0.1');
    await admin.getByTestId('field-security').selectOption('NONE');
    await admin.getByTestId('field-port').fill(String(dovecot.ports.imap));
    await admin.getByTestId('field-authType').selectOption('OAUTH');
    await admin.getByTestId('field-clientId').fill('mailroom-e2e');
    await admin.getByTestId('field-clientSecret').fill('e2e-secret');
    await admin.getByTestId('field-authorizationUrl').fill(idp.authorizationUrl);
    await admin.getByTestId('field-tokenUrl').fill(idp.tokenUrl);
    await admin.getByTestId('field-scope').fill('openid offline_access mail.imap');
    await admin.getByTestId('field-redirectUrl').fill(redirectUrl);
    await admin.getByTestId('field-enabled').uncheck();
    await admin.getByTestId('server-save-sign-in').click();
    // Mailroom → identity provider → /oauth/callback → back on the servers page, drawer open.
    await admin.waitForURL((u) => u.pathname === SERVERS_PATH, { timeout: 15_000 });
    const result = admin.getByTestId('oauth-result');
    await result.waitFor({ timeout: 15_000 });
    expect(await result.getAttribute('data-ok')).toBe('true');
    await admin.getByTestId('oauth-status').getByText('Signed in.').waitFor();
    expect(new URL(admin.url()).search).toBe('');
    await admin.waitForTimeout(300);
    await screenshot(admin, 'screens-oauth-returned');
    await admin.keyboard.press('Escape');
  });

  it('shows rules, preference, outgoing and proxy servers', async () => {
    await visit(admin, RULES_PATH, 'rule-item');
    await screenshot(admin, 'screens-rules');
    await visit(admin, `${EMAILS}/email-preference`, 'email-preference-form');
    await admin.getByTestId('pref-duplicateWindowMinutes').fill('abc');
    await admin.getByTestId('preference-save').click();
    await admin.getByText('must be a whole number').waitFor();
    await admin.getByTestId('pref-duplicateWindowMinutes').fill('90');
    await admin.getByTestId('preference-save').click();
    await admin.getByTestId('preference-saved').waitFor();
    await screenshot(admin, 'screens-preference');

    // The acknowledgment's words: an unknown placeholder is named, the preview follows, and it saves.
    await admin.getByTestId('pref-acknowledgmentSubject').fill('We got it: {{ticket.nmber}}');
    await admin.getByText('Unknown placeholder {{ticket.nmber}}').waitFor();
    await admin.getByTestId('pref-acknowledgmentSubject').fill('We got it: {{ticket.subject}}');
    await admin.getByTestId('pref-acknowledgmentBody').fill('Thanks {{requester.name}}, your number is {{ticket.number}}.');
    await expect.poll(() => admin.getByTestId('acknowledgment-preview-body').textContent()).toMatch(/your number is REQ-\d+\./);
    expect(await admin.getByTestId('acknowledgment-preview-subject').textContent()).toMatch(/^\[#REQ-\d+\] We got it: /);
    await admin.getByTestId('preference-save').click();
    await expect.poll(async () => (await t.admin.execute(Preference)).emailPreference.acknowledgmentSubject).toBe('We got it: {{ticket.subject}}');
    await screenshot(admin, 'screens-acknowledgment-templates');

    await visit(admin, `${EMAILS}/outgoing-email-servers`, 'outgoing-card');
    await admin.getByTestId('outgoing-test').click();
    const outgoing = admin.getByTestId('outgoing-test-result');
    await outgoing.waitFor({ timeout: 15_000 });
    expect(await outgoing.getAttribute('data-ok')).toBe('false');
    await screenshot(admin, 'screens-outgoing');

    await visit(admin, `${EMAILS}/proxy-servers`, 'proxy-row');
    await admin.getByTestId('proxy-row').getByRole('button', { name: /Edit/ }).click();
    await admin.getByTestId('proxy-password-set').waitFor();
    await admin.waitForTimeout(300);
    await screenshot(admin, 'screens-proxy-drawer');
    await admin.keyboard.press('Escape');
  });

  it('shows the email audit log, the configuration audit trail and the quarantine', async () => {
    await visit(admin, `${SECURITY}/email-audit`, 'audit-row');
    expect(await admin.getByTestId('audit-row').count()).toBe(4);
    await admin.getByTestId('audit-filter-outcome').selectOption('AUTO_REPLY');
    await expect.poll(() => admin.getByTestId('audit-row').count()).toBe(1);
    expect(await admin.getByTestId('audit-reason').first().textContent()).toBeTruthy();
    await admin.getByTestId('audit-filter-outcome').selectOption('');
    await expect.poll(() => admin.getByTestId('audit-row').count()).toBe(4);
    expect(await admin.getByTestId('audit-raw').count()).toBeGreaterThan(0);
    await screenshot(admin, 'screens-email-audit');

    // Search by sender; a row opens its details; Dry run runs that message and says what would happen.
    await admin.getByTestId('audit-search').fill('bigcustomer');
    await expect.poll(() => admin.getByTestId('audit-row').count()).toBe(1);
    await admin.getByTestId('audit-row').first().click();
    expect(await admin.getByTestId('audit-details').textContent()).toContain('ada@bigcustomer.example');
    await admin.keyboard.press('Escape');
    await admin.getByTestId('audit-details').waitFor({ state: 'detached' });
    await admin.getByTestId('audit-dry-run').first().click();
    expect(await admin.getByTestId('dry-run-message').textContent()).toContain('Printer jam on floor 3');
    await admin.getByTestId('dry-run-result').waitFor({ timeout: 10_000 });
    expect(await admin.getByTestId('dry-run-outcome').textContent()).toMatch(/^\s*Would /);
    await screenshot(admin, 'screens-dry-run-from-audit');

    await visit(admin, `${SECURITY}/configuration-audit`, 'config-audit-entry');
    await admin.getByTestId('config-audit-filter').selectOption('ProxyServer');
    await expect.poll(() => admin.getByTestId('config-audit-entry').count()).toBe(1);
    // The proxy password was set: the trail says a secret exists, never what it is.
    const text = await admin.getByTestId('config-audit-entry').first().textContent();
    expect(text).not.toContain('proxy-secret');
    await admin.getByTestId('config-audit-filter').selectOption('');
    await screenshot(admin, 'screens-config-audit');

    await visit(admin, `${EMAILS}/quarantine`, 'quarantine-entry');
    await screenshot(admin, 'screens-quarantine');
    await admin.getByTestId('quarantine-release').click();
    await admin.getByText('Released').first().waitFor();
    // The server says what the release did; a mail without any sender still becomes a request.
    expect(await admin.getByTestId('quarantine-feedback').textContent()).toMatch(/Created REQ-\d+: released by an admin/);
    await admin.getByTestId('quarantine-ticket-link').waitFor();

    await visit(admin, '/admin/organization/groups-and-categories', 'catalog-groups');
    await screenshot(admin, 'screens-catalog');
  });

  it('shows the ticket’s HTML only inside a sandboxed frame, with its attachment and inline image', async () => {
    await visit(admin, '/requests', 'ticket-row');
    await admin.getByTestId('filter-group').selectOption(groupId);
    // Two delivered, and the sender-less one released from quarantine on the mailbox's defaults.
    await expect.poll(() => admin.getByTestId('ticket-row').count()).toBe(3);
    await admin.getByTestId('filter-group').selectOption('');
    await screenshot(admin, 'screens-requests');
    await admin.getByRole('link', { name: 'Dashboard error after update' }).click();
    const frame = admin.getByTestId('message-html');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).not.toContain('allow-scripts');
    const inner = admin.frameLocator('[data-testid="message-html"]');
    await inner.locator('b', { hasText: 'dashboard' }).waitFor();
    // Sanitized on the server, and scripts could not run here anyway.
    expect(await inner.locator('script').count()).toBe(0);
    expect(await admin.title()).not.toBe('pwned');
    await expect
      .poll(() => inner.locator('img[alt="screenshot"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);
    await admin.getByTestId('attachment-link').filter({ hasText: 'invoice-1042.pdf' }).first().waitFor();
    await admin.getByText('remote image was not loaded').waitFor();
    await screenshot(admin, 'screens-ticket-html');
  });

  it('keeps every control of the main screens inside 1280 px', async () => {
    for (const [path, ready] of MAIN_SCREENS) {
      await visit(admin, path, ready);
      expect(await horizontalOverflow(admin), `${path} at 1280 px`).toEqual([]);
    }
  });

  it('fits a 390 px screen', async () => {
    const { context, page } = await signedInPage(browser, t.url, { viewport: PHONE });
    try {
      for (const [path, ready, name] of MAIN_SCREENS) {
        await visit(page, path, ready);
        expect(await horizontalOverflow(page), `${path} at 390 px`).toEqual([]);
        await screenshot(page, `phone-${name}`);
      }
      const inViewport = (box: { x: number; width: number } | null) => box !== null && box.x >= 0 && box.x + box.width <= PHONE.width;

      // A group in use: the delete is refused, the dialog names what uses it, asks for a replacement, and fits the phone.
      await visit(page, '/admin/organization/groups-and-categories', 'catalog-groups');
      await page.getByTestId('catalog-groups').getByRole('button', { name: 'Delete Service Desk' }).click();
      await page.getByTestId('delete-confirm').click();
      await page.getByTestId('delete-in-use').waitFor();
      const usages = await page.getByTestId('delete-usages').textContent();
      expect(usages).toContain('incoming email server: Support');
      expect(usages).toContain('rule: Hardware');
      await page.getByTestId('delete-replacement').waitFor();
      const dialog = await page.locator('[data-testid="delete-dialog"][open]').boundingBox();
      expect(inViewport(dialog), 'the delete dialog fits').toBe(true);
      expect(dialog!.width).toBeGreaterThan(300);
      await screenshot(page, 'phone-delete-group-in-use');
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByTestId('delete-in-use').waitFor({ state: 'detached' });

      // The notifications panel opens inside the screen.
      await page.getByTestId('notifications-bell').click();
      await page.getByTestId('notifications-panel').waitFor();
      expect(inViewport(await page.getByTestId('notifications-panel').boundingBox()), 'the notifications panel fits').toBe(true);
      await screenshot(page, 'phone-notifications');
      await page.keyboard.press('Escape');

      await page.goto(`${t.url}${SERVERS_PATH}`);
      await page.getByTestId('add-server').click();
      await page.getByTestId('server-form').waitFor();
      await page.waitForTimeout(300);
      await screenshot(page, 'phone-drawer');
    } finally {
      await context.close();
    }
  });

  it('draws its shell before any script arrives, and follows a dark system theme', async () => {
    const context = await browser.newContext({ viewport: PHONE, colorScheme: 'dark' });
    try {
      const page = await context.newPage();
      // A network so slow the scripts never come: the page is Mailroom's shell, not a blank one.
      await page.route('**/*.js', (route) => route.abort());
      await page.goto(`${t.url}/requests`);
      await page.getByTestId('app-shell').waitFor();
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe('rgb(15, 17, 21)');
      await screenshot(page, 'phone-shell-dark');
    } finally {
      await context.close();
    }
    const { context: dark, page } = await signedInPage(browser, t.url, { colorScheme: 'dark' });
    try {
      await visit(page, SERVERS_PATH, 'server-card');
      const [r, g, b] = (await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).match(/\d+/g)!.map(Number);
      expect(r! + g! + b!, 'a dark background').toBeLessThan(150);
      await screenshot(page, 'screens-servers-dark');
    } finally {
      await dark.close();
    }
  });

  it('is usable from the keyboard alone', async () => {
    await admin.goto(`${t.url}${SERVERS_PATH}`);
    await admin.getByTestId('server-card').first().waitFor();
    await admin.getByTestId('add-server').focus();
    await admin.keyboard.press('Enter');
    await admin.getByTestId('server-form').waitFor();
    // Focus moved into the drawer and stays there.
    expect(await admin.evaluate(() => document.activeElement?.closest('[role="dialog"]') !== null)).toBe(true);
    for (let i = 0; i < 40; i++) await admin.keyboard.press('Tab');
    expect(await admin.evaluate(() => document.activeElement?.closest('[role="dialog"]') !== null)).toBe(true);
    await admin.keyboard.press('Escape');
    await admin.getByTestId('server-form').waitFor({ state: 'detached' });
    expect(await admin.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('add-server');
  });

  it('sends a technician away from admin screens and an expired session back to sign-in', async () => {
    const { context, page } = await signedInPage(browser, t.url, { email: 'tom@mailroom.test', password: 'tom-password-1' });
    try {
      await page.goto(`${t.url}${EMAILS}/email-preference`);
      await page.waitForURL((u) => u.pathname === '/requests');
      await page.getByTestId('ticket-row').first().waitFor();
      await context.clearCookies();
      // Whichever request comes first with the dead session — the click's, or a refetch of the
      // list after a live event — sends the technician to sign-in, back to where they were.
      await page.getByRole('link', { name: 'Printer jam on floor 3' }).click({ timeout: 5_000 }).catch(() => undefined);
      await page.getByTestId('signin-expired').waitFor({ timeout: 10_000 });
      expect(new URL(page.url()).searchParams.get('redirect')).toMatch(/^\/requests([/?]|$)/);
      await screenshot(page, 'screens-session-expired');
    } finally {
      await context.close();
    }
  });
});
