import { describe, expect, it } from 'vitest';
import {
  DnsError, TargetRefusedError, refusedAddressReason, resolveTarget, type LookupAll,
} from '../../server/src/mail/address-guard.ts';

const strict = { allowLoopback: false };
const lenient = { allowLoopback: true };

describe('refusedAddressReason', () => {
  it.each([
    ['169.254.169.254', /link-local/],
    ['169.254.0.0', /link-local/],
    ['169.254.255.255', /link-local/],
    ['100.100.100.200', /metadata/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['::', /unspecified/],
    ['0:0:0:0:0:0:0:0', /unspecified/],
    ['fe80::1', /link-local/],
    ['FE80::abcd:1', /link-local/],
    ['febf:ffff::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fd00:ec2::254', /metadata/],
    ['fd00:0ec2:0:0:0:0:0:254', /metadata/],
    ['::ffff:169.254.169.254', /link-local/],
    ['::FFFF:a9fe:a9fe', /link-local/],
    ['[::ffff:169.254.169.254]', /link-local/],
    ['::ffff:100.100.100.200', /metadata/],
    ['::ffff:0.0.0.0', /unspecified/],
    ['64:ff9b::a9fe:a9fe', /link-local/],
  ])('refuses %s even with loopback allowed', (ip, reason) => {
    expect(refusedAddressReason(ip, lenient)).toMatch(reason);
    expect(refusedAddressReason(ip, strict)).toMatch(reason);
  });

  // IPv6 forms that carry an IPv4 address: mapped, compatible, translated, 6to4, NAT64 (well-known
  // and local-use), Teredo (client address inverted).
  it.each([
    ['::7f00:1', /loopback/], ['::127.0.0.1', /loopback/], ['::ffff:0:7f00:1', /loopback/], ['0:0:0:0:0:ffff:7f00:1', /loopback/],
    ['2002:7f00:1::', /loopback/], ['2002:a9fe:a9fe::1', /link-local/], ['64:ff9b::127.0.0.1', /loopback/], ['64:ff9b:1::7f00:1', /loopback/],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', /loopback/], ['::a9fe:a9fe', /link-local/], ['::2', /unspecified/],
  ])('judges %s by the IPv4 address it carries', (ip, reason) => {
    expect(refusedAddressReason(ip, strict)).toMatch(reason);
  });

  it.each([['224.0.0.1', /multicast/], ['255.255.255.255', /broadcast/], ['ff02::1', /multicast/], ['192.0.0.192', /metadata/]])('refuses %s', (ip, reason) => {
    expect(refusedAddressReason(ip, lenient)).toMatch(reason);
  });

  it.each(['127.0.0.1', '127.255.255.254', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '[::1]', '::ffff:127.0.0.1'])(
    'refuses loopback %s unless loopback is allowed',
    (ip) => {
      expect(refusedAddressReason(ip, strict)).toMatch(/loopback/);
      expect(refusedAddressReason(ip, lenient)).toBeNull();
    },
  );

  it.each([
    '8.8.8.8', '10.0.0.5', '172.16.4.4', '192.168.1.10', '100.64.0.1', '100.100.100.201',
    '169.253.255.255', '169.255.0.0', '128.0.0.1', '1.0.0.0',
    '2001:db8::1', '2a00:1450:4001:80b::200e', 'fec0::1', 'fd00:ec2::253', 'fd00::254', '::ffff:8.8.8.8', '::808:808', '2002:808:808::1', '64:ff9b::808:808',
  ])('allows %s', (ip) => {
    expect(refusedAddressReason(ip, strict)).toBeNull();
  });

  it('refuses anything that is not an IP address', () => {
    expect(refusedAddressReason('mail.example.com', lenient)).toMatch(/not an IP/);
    expect(refusedAddressReason('', lenient)).toMatch(/not an IP/);
  });
});

const fakeLookup = (answers: { address: string; family: number }[]): LookupAll => async () => answers;
const failingLookup = (code: string): LookupAll => async () => {
  throw Object.assign(new Error(`getaddrinfo ${code}`), { code });
};

describe('resolveTarget', () => {
  it('returns every address in resolver order', async () => {
    const lookup = fakeLookup([{ address: '2001:db8::5', family: 6 }, { address: '192.0.2.5', family: 4 }]);
    await expect(resolveTarget('mail.example.com', { allowLoopback: false, lookup })).resolves.toEqual([
      { address: '2001:db8::5', family: 6 },
      { address: '192.0.2.5', family: 4 },
    ]);
  });

  it('refuses when any one address is refused, naming the host and the address', async () => {
    const lookup = fakeLookup([{ address: '192.0.2.5', family: 4 }, { address: '169.254.169.254', family: 4 }]);
    const error = await resolveTarget('rebind.example.com', { allowLoopback: true, lookup }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetRefusedError);
    expect((error as TargetRefusedError).message).toBe(
      'rebind.example.com resolves to 169.254.169.254, a link-local address (where cloud metadata services live); mail servers are not allowed there',
    );
  });

  it('refuses loopback names unless allowed', async () => {
    const lookup = fakeLookup([{ address: '127.0.0.1', family: 4 }]);
    await expect(resolveTarget('localhost', { allowLoopback: false, lookup })).rejects.toThrow(/loopback/);
    await expect(resolveTarget('localhost', { allowLoopback: true, lookup })).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('takes IP literals as they are, brackets and all, without a lookup', async () => {
    const lookup = failingLookup('ENOTFOUND');
    await expect(resolveTarget('[::1]', { allowLoopback: true, lookup })).resolves.toEqual([{ address: '::1', family: 6 }]);
    await expect(resolveTarget('192.0.2.7', { allowLoopback: false, lookup })).resolves.toEqual([{ address: '192.0.2.7', family: 4 }]);
    await expect(resolveTarget('169.254.169.254', { allowLoopback: true, lookup })).rejects.toThrow(
      '169.254.169.254 is a link-local address',
    );
  });

  it('reports lookup failures as DnsError with the resolver code', async () => {
    const error = await resolveTarget('mail.example.com', { allowLoopback: false, lookup: failingLookup('EAI_AGAIN') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsError);
    expect(error).toMatchObject({ host: 'mail.example.com', code: 'EAI_AGAIN' });
  });

  it('treats an empty answer and an empty host as DNS failures', async () => {
    await expect(resolveTarget('mail.example.com', { allowLoopback: false, lookup: fakeLookup([]) })).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolveTarget('  ', { allowLoopback: false })).rejects.toBeInstanceOf(DnsError);
  });

  it('fails for a name that does not exist, with the system resolver', async () => {
    await expect(resolveTarget('nonexistent.invalid', { allowLoopback: false })).rejects.toBeInstanceOf(DnsError);
  });
});
