// Issue 10 item 7 in a browser: a Super Admin creates a role with a permission, adds a user with
// that role and a technician group, edits them, resets their password, manages group membership
// on the Groups screen, and deactivates and reactivates them; the lists for priorities and request
// types feed the ticket page. Screenshots at both widths land in test/artifacts/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, startTestApp, type TestApp } from '../testkit/app.ts';
import { PHONE, launchBrowser, screenshot, signedInPage } from './helpers.ts';

describe('people, roles and groups in the browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp(), launchBrowser()]);
    await t.seed.technicianGroup('Printers');
    await t.seed.technicianGroup('Billing');
    await t.seed.technician({ name: 'Bob Builder', email: 'bob@mailroom.test' });
    ({ page } = await signedInPage(browser, t.url));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const userRow = (email: string) => page.locator(`[data-testid="user-row"][data-email="${email}"]`);
  const signsIn = async (email: string, password: string) => {
    const client = new GraphQLClient(t.url);
    return client.signIn(email, password).then(() => true, () => false);
  };

  it('creates a role, a user with it, edits, resets, deactivates and reactivates them', async () => {
    await page.goto(`${t.url}/admin/organization/roles`);
    await page.getByTestId('role-new-name').fill('Channel managers');
    await page.getByTestId('role-new-MANAGE_SUPPORT_CHANNELS').check();
    await page.getByTestId('role-add').click();
    const role = page.locator('[data-testid="role-row"][data-name="Channel managers"]');
    await role.waitFor();
    expect(await role.getByTestId('role-permission-MANAGE_SUPPORT_CHANNELS').isChecked()).toBe(true);
    await screenshot(page, 'people-roles');

    await page.getByTestId('nav-users').click();
    await page.getByTestId('add-user').click();
    await page.getByTestId('user-name').fill('Carol Channel');
    await page.getByTestId('user-email').fill('carol@mailroom.test');
    await page.getByTestId('user-password').fill('carol-password-1');
    await page.getByTestId('user-role').selectOption({ label: 'Channel managers' });
    await page.getByTestId('user-group-Printers').check();
    await page.getByTestId('user-save').click();
    const carol = userRow('carol@mailroom.test');
    await carol.waitFor();
    expect(await carol.getByTestId('user-role-cell').textContent()).toContain('Channel managers');
    expect(await carol.getByTestId('user-groups-cell').textContent()).toContain('Printers');
    expect(await signsIn('carol@mailroom.test', 'carol-password-1')).toBe(true);

    await carol.getByTestId('user-edit').click();
    await page.getByTestId('user-name').fill('Carol Chan');
    await page.getByTestId('user-group-Billing').check();
    await page.getByTestId('user-new-password').fill('carol-password-2');
    await page.getByTestId('user-reset-password').click();
    await page.getByText('Password reset; they are signed out everywhere.').waitFor();
    await screenshot(page, 'people-user-drawer');
    await page.getByTestId('user-save').click();
    await expect.poll(async () => carol.locator('strong').textContent()).toBe('Carol Chan');
    await expect.poll(async () => carol.getByTestId('user-groups-cell').textContent()).toMatch(/Printers.*Billing|Billing.*Printers/);
    expect(await signsIn('carol@mailroom.test', 'carol-password-1')).toBe(false);
    expect(await signsIn('carol@mailroom.test', 'carol-password-2')).toBe(true);

    await carol.getByTestId('user-deactivate').click();
    await page.getByTestId('confirm-yes').click();
    await expect.poll(async () => (await carol.getByTestId('user-status').textContent())?.trim()).toBe('Deactivated');
    expect(await signsIn('carol@mailroom.test', 'carol-password-2')).toBe(false);
    await screenshot(page, 'people-users');
    await carol.getByTestId('user-reactivate').click();
    await expect.poll(async () => (await carol.getByTestId('user-status').textContent())?.trim()).toBe('Active');
    expect(await signsIn('carol@mailroom.test', 'carol-password-2')).toBe(true);
  });

  it('manages who is in a group on the Groups screen', async () => {
    await page.goto(`${t.url}/admin/organization/groups-and-categories`);
    const printers = page.getByTestId('group-members-Printers');
    await printers.getByTestId('group-member').filter({ hasText: 'Carol Chan' }).waitFor();
    await page.getByTestId('group-add-select-Printers').selectOption({ label: 'Bob Builder' });
    await page.getByTestId('group-add-Printers').click();
    await printers.getByTestId('group-member').filter({ hasText: 'Bob Builder' }).waitFor();
    await printers.getByRole('button', { name: 'Remove Carol Chan from Printers' }).click();
    await expect.poll(() => printers.getByTestId('group-member').allTextContents()).toEqual([expect.stringContaining('Bob Builder')]);
    await screenshot(page, 'people-groups', true);
  });

  it('keeps the priority and request type lists the ticket page and rules pick from', async () => {
    await page.goto(`${t.url}/admin/organization/priorities-and-request-types`);
    const item = (list: string, name: string) => page.getByTestId(list).locator('li').filter({ hasText: name });
    await item('list-priorities', 'Urgent').waitFor();
    await page.getByTestId('list-priorities-new').fill('Critical');
    await page.getByTestId('list-priorities-add').click();
    await item('list-priorities', 'Critical').waitFor();
    await page.getByTestId('list-request-types-new').fill('Hardware order');
    await page.getByTestId('list-request-types-add').click();
    await item('list-request-types', 'Hardware order').waitFor();
    await screenshot(page, 'people-ticket-lists');

    await page.goto(`${t.url}/admin/support-channel/emails/incoming-email-rules`);
    await page.getByTestId('add-rule').click();
    await expect.poll(() => page.getByTestId('rule-priority').locator('option').allTextContents()).toContain('Critical');
    expect(await page.getByTestId('rule-request-type').locator('option').allTextContents()).toContain('Hardware order');
  });

  it('shows the people screens on a phone', async () => {
    const phone = await signedInPage(browser, t.url, { viewport: PHONE });
    await phone.page.goto(`${t.url}/admin/organization/users`);
    await phone.page.getByTestId('user-row').first().waitFor();
    await screenshot(phone.page, 'people-phone-users', true);
    await phone.page.goto(`${t.url}/profile`);
    await phone.page.getByTestId('notify-new-ticket').waitFor();
    await screenshot(phone.page, 'people-phone-profile', true);
    await phone.context.close();
  });
});
