import { describe, expect, it } from 'vitest';
import { resolveServerInput } from '../../server/src/modules/incoming-servers/incoming-server.rules.ts';
import { defaultPort, isMicrosoftHosted } from '../../server/src/mail/providers.ts';

const base = { name: 'Support', email: 'support@example.com', protocol: 'IMAP', host: 'imap.example.com', password: 'pw' };
const paths = (r: ReturnType<typeof resolveServerInput>) => (r.ok ? [] : r.errors.map((e) => e.path.join('.')));

describe('incoming server rules (SPEC §2)', () => {
  it('fills the port from protocol and security', () => {
    expect([defaultPort('IMAP', 'NONE'), defaultPort('IMAP', 'SSL'), defaultPort('IMAP', 'TLS')]).toEqual([143, 993, 143]);
    expect([defaultPort('POP3', 'NONE'), defaultPort('POP3', 'SSL'), defaultPort('POP3', 'TLS')]).toEqual([110, 995, 110]);
    expect([defaultPort('EWS', 'SSL'), defaultPort('GRAPH', 'NONE')]).toEqual([443, 443]);
    const r = resolveServerInput({ ...base, security: 'TLS' }, null);
    expect(r.ok && r.value.port).toBe(143);
    const typed = resolveServerInput({ ...base, security: 'SSL', port: 1993 }, null);
    expect(typed.ok && typed.value.port).toBe(1993);
  });

  it('lets the provider decide for Sign in with Microsoft', () => {
    const r = resolveServerInput({ name: 'M365', email: 'help@contoso.com', protocol: 'IMAP', provider: 'MICROSOFT', host: 'ignored.example', authType: 'BASIC' }, null);
    expect(r.ok && r.value).toMatchObject({ host: 'outlook.office365.com', port: 993, security: 'SSL', authType: 'OAUTH', oauth: { scope: 'offline_access https://outlook.office365.com/IMAP.AccessAsUser.All' } });
    const ews = resolveServerInput({ name: 'M365', email: 'help@contoso.com', protocol: 'EWS', provider: 'MICROSOFT' }, null);
    expect(ews.ok && ews.value.oauth?.scope).toBe('offline_access https://outlook.office365.com/EWS.AccessAsUser.All');
  });

  it('refuses Basic auth on Microsoft-hosted servers', () => {
    expect(isMicrosoftHosted('Outlook.Office365.com.')).toBe(true);
    expect(isMicrosoftHosted('imap-mail.outlook.com')).toBe(true);
    expect(isMicrosoftHosted('mail.example.com')).toBe(false);
    expect(paths(resolveServerInput({ ...base, host: 'outlook.office365.com', authType: 'BASIC' }, null))).toEqual(['authType']);
  });

  it('keeps POP3 to Basic auth and polling', () => {
    expect(paths(resolveServerInput({ ...base, protocol: 'POP3', authType: 'OAUTH', realTimeScanning: true }, null))).toEqual(['authType', 'realTimeScanning']);
  });

  it('requires every OAuth setting for provider Other, and a secret only when none is stored', () => {
    expect(paths(resolveServerInput({ ...base, authType: 'OAUTH', oauth: { clientId: 'c' } }, null)).sort()).toEqual(
      ['oauth.authorizationUrl', 'oauth.clientSecret', 'oauth.redirectUrl', 'oauth.tokenUrl'],
    );
    const complete = { clientId: 'c', authorizationUrl: 'https://idp.example/auth', tokenUrl: 'https://idp.example/token', redirectUrl: 'https://mailroom.example/oauth/callback' };
    expect(paths(resolveServerInput({ ...base, authType: 'OAUTH', oauth: complete }, { hasPassword: false, hasClientSecret: true }))).toEqual([]);
  });

  it('requires a password unless one is stored (secrets are write-only)', () => {
    expect(paths(resolveServerInput({ ...base, password: undefined }, null))).toEqual(['password']);
    const kept = resolveServerInput({ ...base, password: '' }, { hasPassword: true, hasClientSecret: false });
    expect(kept.ok && kept.value.password).toBeUndefined();
  });

  it('validates filters: addresses, domains without @, trimmed, case-insensitive, deduplicated', () => {
    expect(paths(resolveServerInput({ ...base, filter: { type: 'ALLOW', emails: ['nope'], domains: ['@x.com'] } }, null))).toEqual(
      expect.arrayContaining(['filter.emails.0', 'filter.domains.0']),
    );
    const r = resolveServerInput({ ...base, filter: { type: 'IGNORE', emails: [' HR@Company.com ', 'hr@company.com'], domains: ['Yahoo.com'], keywords: [' Out of Office '] } }, null);
    expect(r.ok && r.value.filter).toEqual({ type: 'IGNORE', emails: ['hr@company.com'], domains: ['yahoo.com'], keywords: ['Out of Office'] });
    const empty = resolveServerInput({ ...base, filter: { type: 'ALLOW' } }, null);
    expect(empty.ok && empty.value.filter).toBeNull();
  });

  it('reports every problem at once, with typed paths', () => {
    expect(paths(resolveServerInput({ name: '', email: 'x', protocol: 'IMAP', port: 0 }, null)).sort()).toEqual(['email', 'host', 'name', 'password', 'port']);
    expect(paths(resolveServerInput({ ...base, enabled: false, primary: true }, null))).toEqual(['primary']);
  });
});
