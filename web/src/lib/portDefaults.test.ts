import { describe, expect, it } from 'vitest';
import { defaultPort } from './portDefaults';

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
