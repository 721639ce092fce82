import { describe, expect, it } from 'vitest';
import { savedServer as saved } from '@/testing/fixtures';
import {
  authTypeAllowed,
  emptyServerForm,
  portIsCustom,
  protocolAllowed,
  serverFormFrom,
  serverInputFrom,
  serverInputWith,
  isExchangeOnline,
} from './serverForm';

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

  it('keeps only the OAuth settings the provider uses', () => {
    const form = emptyServerForm('MICROSOFT');
    Object.assign(form, { name: 'M', email: 'desk@contoso.com' });
    form.oauth.tokenUrl = 'https://ignored.example/token';
    form.oauth.tenantId = 'contoso.onmicrosoft.com';
    expect(serverInputFrom(form).input?.oauth).toEqual({ tenantId: 'contoso.onmicrosoft.com' });
  });

  it('never sends POP3 with OAuth, real-time scanning or a folder move', () => {
    const form = { ...emptyServerForm(), name: 'P', email: 'p@b.example', protocol: 'POP3' as const, authType: 'OAUTH' as const, realTimeScanning: true, afterProcessing: 'MOVE' as const };
    expect(serverInputFrom(form).input).toMatchObject({ authType: 'BASIC', realTimeScanning: false, afterProcessing: 'MARK_READ', moveToFolder: null });
  });


  it('flips one setting of a saved server and drops primary with enabled', () => {
    expect(serverInputWith(saved, { enabled: false })).toMatchObject({ enabled: false, primary: false, name: 'Support' });
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

  it('cannot build an input from a non-numeric port', () => {
    const { input, errors } = serverInputFrom({ ...emptyServerForm(), email: 'a@b.example', port: '99x' });
    expect(input).toBeNull();
    expect(errors.map((e) => e.path[0])).toEqual(['port']);
  });
});

describe('form rules', () => {
  it('treats a default port as following protocol and security', () => {
    expect(portIsCustom({ port: '993', protocol: 'IMAP', security: 'SSL' })).toBe(false);
    expect(portIsCustom({ port: '1993', protocol: 'IMAP', security: 'SSL' })).toBe(true);
  });

  it('recognises Exchange Online by host or EWS URL', () => {
    expect(isExchangeOnline({ provider: 'OTHER', host: 'outlook.office365.com', ewsUrl: '' })).toBe(true);
    expect(isExchangeOnline({ provider: 'OTHER', host: '', ewsUrl: 'https://outlook.office365.com/EWS/Exchange.asmx' })).toBe(true);
    expect(isExchangeOnline({ provider: 'OTHER', host: 'mail.corp.example', ewsUrl: '' })).toBe(false);
  });

  it('shows an unset username as empty so the email placeholder applies', () => {
    expect(serverFormFrom(saved).username).toBe('');
  });

  it('refuses combinations the server rejects', () => {
    expect(protocolAllowed('MICROSOFT', 'POP3')).toBe(false);
    expect(protocolAllowed('GOOGLE', 'GRAPH')).toBe(false);
    expect(protocolAllowed('OTHER', 'EWS')).toBe(true);
    expect(authTypeAllowed('POP3', 'OAUTH')).toBe(false);
    expect(authTypeAllowed('GRAPH', 'BASIC')).toBe(false);
  });
});
