import { describe, expect, it } from 'vitest';
import { effectScope, reactive } from 'vue';
import { useServerFormRules } from '@/composables/useServerFormRules';
import { emptyServerForm } from '@/lib/serverForm';
import { savedServer } from '@/testing/fixtures';

function setup() {
  const form = reactive(emptyServerForm());
  const scope = effectScope();
  const rules = scope.run(() => useServerFormRules(form))!;
  return { form, rules, stop: () => scope.stop() };
}

describe('useServerFormRules', () => {
  it('lets the port follow protocol and security until the admin types one', () => {
    const { form, rules, stop } = setup();
    expect(form.port).toBe('993');
    form.security = 'TLS';
    expect(form.port).toBe('143');
    form.protocol = 'POP3';
    expect(form.port).toBe('110');

    form.port = '1143';
    rules.portEdited();
    expect(rules.portTouched.value).toBe(true);
    form.protocol = 'IMAP';
    expect(form.port).toBe('1143');

    // An emptied port follows protocol and security again.
    form.port = '';
    rules.portEdited();
    form.security = 'SSL';
    expect(form.port).toBe('993');
    stop();
  });

  it('keeps provider, protocol and auth type on combinations the server accepts', () => {
    const { form, stop } = setup();
    form.provider = 'MICROSOFT';
    expect(form.protocol).toBe('GRAPH');
    expect(form.authType).toBe('OAUTH');
    expect(form.oauth.scope).toBe('offline_access https://graph.microsoft.com/Mail.ReadWrite');

    form.provider = 'GOOGLE';
    expect(form.protocol).toBe('IMAP');
    expect(form.host).toBe('imap.gmail.com');
    expect(form.authType).toBe('OAUTH');
    expect(form.oauth.scope).toBe('https://mail.google.com/');

    form.protocol = 'POP3';
    expect(form.authType).toBe('BASIC');
    expect(form.host).toBe('pop.gmail.com');
    expect(form.realTimeScanning).toBe(false);

    form.protocol = 'IMAP';
    expect(form.realTimeScanning).toBe(true);
    form.provider = 'OTHER';
    expect(form.host).toBe('');
    stop();
  });

  it('keeps the scope the admin typed', () => {
    const { form, rules, stop } = setup();
    form.authType = 'OAUTH';
    form.oauth.scope = 'custom.scope';
    rules.scopeEdited();
    form.protocol = 'EWS';
    expect(form.oauth.scope).toBe('custom.scope');
    stop();
  });

  it('takes the primary flag from a server that is switched off', () => {
    const { form, stop } = setup();
    form.primary = true;
    form.enabled = false;
    expect(form.primary).toBe(false);
    stop();
  });

  it('loads a saved server as it is, without setting off any rule', () => {
    const { form, rules, stop } = setup();
    rules.load({ ...savedServer, provider: 'GOOGLE', protocol: 'POP3', host: 'mail.example.com', port: 2995, enabled: false, primary: true });
    expect(form.provider).toBe('GOOGLE');
    expect(form.protocol).toBe('POP3');
    expect(form.host).toBe('mail.example.com');
    expect(form.port).toBe('2995');
    expect(form.primary).toBe(true);
    expect(form.authType).toBe('BASIC');
    expect(rules.portTouched.value).toBe(true);

    rules.load(null);
    expect(form).toEqual(emptyServerForm());
    expect(rules.portTouched.value).toBe(false);
    stop();
  });
});
