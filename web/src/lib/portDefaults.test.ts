import { describe, expect, it } from 'vitest';
import { defaultPort, defaultSmtpPort } from './portDefaults';

describe('defaultPort', () => {
  it.each([
    ['IMAP', 'NONE', 143],
    ['IMAP', 'SSL', 993],
    ['IMAP', 'TLS', 143],
    ['POP3', 'NONE', 110],
    ['POP3', 'SSL', 995],
    ['POP3', 'TLS', 110],
    ['EWS', 'SSL', 443],
    ['GRAPH', 'NONE', 443],
  ] as const)('%s over %s is %i', (protocol, security, port) => {
    expect(defaultPort(protocol, security)).toBe(port);
  });
});

describe('defaultSmtpPort', () => {
  it.each([
    ['NONE', 25],
    ['SSL', 465],
    ['TLS', 587],
  ] as const)('%s is %i', (security, port) => expect(defaultSmtpPort(security)).toBe(port));
});
