import { describe, expect, it } from 'vitest';
import type { IncomingEmailServerFieldsFragment } from '@/graphql/generated/graphql';
import {
  authTypeAllowed,
  emptyServerForm,
  portIsCustom,
  protocolAllowed,
  serverFormFrom,
  serverInputFrom,
} from './serverForm';

const saved: IncomingEmailServerFieldsFragment = {
  id: 's1',
  name: 'Support',
  email: 'support@example.com',
  protocol: 'IMAP',
  provider: 'OTHER',
  host: 'mail.example.com',
  port: 993,
  security: 'SSL',
  authType: 'BASIC',
  username: 'support@example.com',
  passwordSet: true,
  oauth: null,
  enabled: true,
  primary: true,
  realTimeScanning: true,
  allowSelfSignedCertificate: false,
  pollIntervalSeconds: 120,
  technicianGroup: { id: 'g1', name: 'Desk' },
  category: null,
  filter: { type: 'IGNORE', emails: [], domains: ['spam.example'], keywords: [] },
  health: { status: 'REACHABLE', connectionState: 'connected', lastSyncAt: null, inboundQueueCount: 0, lastError: null },
};

describe('serverInputFrom', () => {
  it('leaves the stored password alone when none is typed', () => {
    const { input } = serverInputFrom(serverFormFrom(saved));
    expect(input).not.toBeNull();
    expect(input && 'password' in input).toBe(false);
  });

  it('sends a typed password', () => {
    const { input } = serverInputFrom({ ...serverFormFrom(saved), password: 'new secret' });
    expect(input?.password).toBe('new secret');
  });

  it('lets Microsoft decide host, port and security', () => {
    const form = { ...emptyServerForm(), name: 'M365', email: 'desk@contoso.com', provider: 'MICROSOFT' as const, host: 'x', port: '1' };
    const { input } = serverInputFrom(form);
    expect(input).toMatchObject({ host: null, port: null, security: null, authType: 'OAUTH' });
  });

  it('sends OAuth settings but never an empty client secret', () => {
    const form = emptyServerForm();
    Object.assign(form, { name: 'G', email: 'a@b.example', authType: 'OAUTH' });
    form.oauth.clientId = 'client';
    const { input } = serverInputFrom(form);
    expect(input?.oauth?.clientId).toBe('client');
    expect(input?.oauth && 'clientSecret' in input.oauth).toBe(false);
    expect(input && 'password' in input).toBe(false);
  });

  it('turns filter text into lists and "no filter" into null', () => {
    const form = { ...serverFormFrom(saved), filterDomains: 'a.example\nb.example' };
    expect(serverInputFrom(form).input?.filter).toEqual({
      type: 'IGNORE',
      emails: [],
      domains: ['a.example', 'b.example'],
      keywords: [],
    });
    expect(serverInputFrom({ ...form, filterType: '' }).input?.filter).toBeNull();
  });

  it('reports non-numeric ports and missing names before calling the server', () => {
    const { input, errors } = serverInputFrom({ ...emptyServerForm(), email: 'a@b.example', port: '99x' });
    expect(input).toBeNull();
    expect(errors.map((e) => e.path[0])).toEqual(['name', 'port']);
  });
});

describe('form rules', () => {
  it('treats a default port as following protocol and security', () => {
    expect(portIsCustom({ port: '993', protocol: 'IMAP', security: 'SSL' })).toBe(false);
    expect(portIsCustom({ port: '1993', protocol: 'IMAP', security: 'SSL' })).toBe(true);
  });

  it('shows an unset username as empty so the email placeholder applies', () => {
    expect(serverFormFrom(saved).username).toBe('');
  });

  it('refuses combinations the server rejects', () => {
    expect(protocolAllowed('MICROSOFT', 'POP3')).toBe(false);
    expect(protocolAllowed('GOOGLE', 'GRAPH')).toBe(false);
    expect(protocolAllowed('OTHER', 'EWS')).toBe(true);
    expect(authTypeAllowed('POP3', 'OAUTH')).toBe(false);
  });
});
