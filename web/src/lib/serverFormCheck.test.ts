import { describe, expect, it } from 'vitest';
import { REAL_TIME_CHECK_SECONDS, emptyServerForm, serverInputFrom, type ServerFormState } from '@/lib/serverForm';
import { checkServerForm, requiredFields } from '@/lib/serverFormCheck';

type Resolve = (raw: unknown, existing: { hasPassword: boolean; hasClientSecret: boolean } | null) => { ok: true } | { ok: false; errors: { path: string[] }[] };

/**
 * The server's own rules, loaded at run time: a static import would make the SPA's type check
 * read the server's sources, and the SPA's bundle must not carry them.
 */
async function serverRules(): Promise<Resolve> {
  const file = new URL('../../../server/src/modules/incoming-servers/incoming-server.rules.ts', import.meta.url).pathname;
  return ((await import(/* @vite-ignore */ file)) as { resolveServerInput: Resolve }).resolveServerInput;
}

const form = (patch: Partial<ServerFormState> = {}, oauth: Partial<ServerFormState['oauth']> = {}): ServerFormState => {
  const base = emptyServerForm(patch.provider ?? 'OTHER');
  return { ...base, name: 'Support', email: 'support@example.com', host: 'imap.example.com', password: 'secret', ...patch, oauth: { ...base.oauth, ...oauth } };
};

const paths = (errors: readonly { path: readonly (string | number)[] }[]) => [...new Set(errors.map((e) => e.path.join('.')))].sort();

describe('real-time check interval', () => {
  it('says what the server does', async () => {
    const file = new URL('../../../server/src/mail/check-interval.ts', import.meta.url).pathname;
    const { REAL_TIME_CHECK_MS } = (await import(/* @vite-ignore */ file)) as { REAL_TIME_CHECK_MS: number };
    expect(REAL_TIME_CHECK_SECONDS * 1000).toBe(REAL_TIME_CHECK_MS);
  });
});

describe('checkServerForm: every problem at once, as the server sees it', () => {
  it('flags every missing field on an empty form in one round', () => {
    expect(paths(checkServerForm(emptyServerForm()))).toEqual(['email', 'host', 'name', 'password']);
  });

  it('agrees with the server on which fields are wrong', async () => {
    const resolve = await serverRules();
    const cases: [string, ServerFormState, { password: boolean; clientSecret: boolean }?][] = [
      ['complete', form()],
      ['nothing filled', { ...emptyServerForm(), port: '993' }],
      ['bad email and host', form({ email: 'support', host: 'not a host!' })],
      ['port out of range', form({ port: '70000' })],
      ['poll interval too short', form({ pollIntervalSeconds: '5' })],
      ['no password, none stored', form({ password: '' })],
      ['no password, one stored', form({ password: '' }), { password: true, clientSecret: false }],
      ['Basic on Exchange Online', form({ host: 'outlook.office365.com' })],
      ['move without a folder', form({ afterProcessing: 'MOVE' })],
      ['generic OAuth, nothing filled', form({ authType: 'OAUTH', password: '' })],
      ['generic OAuth, bad URLs', form({ authType: 'OAUTH', password: '' }, { clientId: 'c', clientSecret: 's', authorizationUrl: 'nope', tokenUrl: 'ftp://x', scope: 'mail', redirectUrl: 'https://desk.example.com/oauth/callback' })],
      ['generic OAuth, secret stored', form({ authType: 'OAUTH', password: '' }, { clientId: 'c', authorizationUrl: 'https://idp.example/a', tokenUrl: 'https://idp.example/t', scope: 'mail', redirectUrl: 'https://desk.example.com/cb' }), { password: false, clientSecret: true }],
      ['Microsoft decides the rest', form({ provider: 'MICROSOFT', host: '', password: '' })],
      ['Google fills its host', form({ provider: 'GOOGLE', host: '', authType: 'BASIC' })],
      ['filter entries', form({ filterType: 'IGNORE', filterEmails: 'ok@example.com\nnot-an-address', filterDomains: 'example.com\n@example.org\nno_tld' })],
      ['EWS with a bad URL', form({ protocol: 'EWS', ewsUrl: 'mail.example.com/EWS' })],
    ];
    for (const [name, state, stored = { password: false, clientSecret: false }] of cases) {
      const client = paths(checkServerForm(state, stored));
      const { input } = serverInputFrom(state);
      expect(input, name).not.toBeNull();
      const server = resolve(input, { hasPassword: stored.password, hasClientSecret: stored.clientSecret });
      expect(client, name).toEqual(server.ok ? [] : paths(server.errors));
    }
  });

  it('marks what the settings cannot do without', () => {
    expect([...requiredFields(form(), { password: false, clientSecret: false })].sort()).toEqual(['email', 'host', 'name', 'password']);
    expect(requiredFields(form(), { password: true, clientSecret: false }).has('password')).toBe(false);
    expect(requiredFields(form({ provider: 'MICROSOFT' }), { password: false, clientSecret: false }).has('host')).toBe(false);
    expect(requiredFields(form({ afterProcessing: 'MOVE' }), { password: true, clientSecret: false }).has('moveToFolder')).toBe(true);
  });
});
