import { describe, expect, it } from 'vitest';
import { parseList, parseUidl } from '../../server/src/mail/pop3/pop3-listings.ts';

const block = (...lines: string[]) => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');

describe('POP3 listings', () => {
  it('reads LIST sizes, skipping lines that are not "n octets"', () => {
    expect([...parseList(block('1 120', '2 83886080', 'garbage', '3 7 extra'))]).toEqual([[1, 120], [2, 83_886_080], [3, 7]]);
    expect(parseList(Buffer.alloc(0)).size).toBe(0);
  });

  it('reads UIDL and refuses a listing that is not RFC 1939', () => {
    expect(parseUidl(block('1 abc', '2 UID7-1700000000'))).toEqual([{ n: 1, uidl: 'abc' }, { n: 2, uidl: 'UID7-1700000000' }]);
    expect(() => parseUidl(block('1 has space inside'))).toThrow(/malformed UIDL/);
    expect(() => parseUidl(block(`1 ${'x'.repeat(71)}`))).toThrow(/malformed UIDL/);
  });
});
