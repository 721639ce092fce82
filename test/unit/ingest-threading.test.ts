import { describe, expect, it } from 'vitest';
import {
  findThread, normalizeSubject, referencedMessageIds, subjectTicketNumbers, type ThreadingLookups,
} from '../../server/src/ingest/steps/threading.ts';

describe('subjectTicketNumbers', () => {
  it.each([
    ['Re: [#REQ-42] Printer jammed', [42]],
    ['RE: AW: WG: Fwd: [#REQ-42] Printer jammed', [42]],
    ['[External] SV: VS: [#REQ-42] Printer', [42]],
    ['Antw: Odp: RV: TR: Réf : [#req-42]', [42]],
    ['Re: [ #REQ-42 ] spaced', [42]],
    ['[REQ-42] without hash', [42]],
    ['about #REQ-42 and [#REQ-7]', [42, 7]],
    ['Printer jammed', []],
    ['REQ-42 without markers is someone else\'s numbering', []],
    ['[#REQ-0] [#REQ-12345678901]', []],
  ] as [string, number[]][])('%s', (subject, expected) => {
    expect(subjectTicketNumbers(subject)).toEqual(expected);
  });

  it('lists each number once, in order', () => {
    expect(subjectTicketNumbers('[#REQ-7] Re: [#REQ-42] [#REQ-7]')).toEqual([7, 42]);
  });
});

describe('normalizeSubject', () => {
  it.each([
    ['Re: Printer jammed', 'Printer jammed'],
    ['RE: Re: re:Printer jammed', 'Printer jammed'],
    ['AW: WG: Printer jammed', 'Printer jammed'],
    ['Fwd: FW: Printer jammed', 'Printer jammed'],
    ['SV: VS: Antw: Odp: Printer jammed', 'Printer jammed'],
    ['RV: TR: Réf : Printer jammed', 'Printer jammed'],
    ['Re[2]: Re(3): Printer jammed', 'Printer jammed'],
    ['[External] RE: [EXTERNAL] AW: [#REQ-42] Printer jammed', '[#REQ-42] Printer jammed'],
    ['*EXTERNAL* Re: Printer   jammed', 'Printer jammed'],
    ['回复: 转发: 打印机卡纸', '打印机卡纸'],
    ['Reply needed: printer', 'Reply needed: printer'],
    ['Printer jammed', 'Printer jammed'],
  ])('%s → %s', (subject, expected) => {
    expect(normalizeSubject(subject)).toBe(expected);
  });
});

describe('referencedMessageIds', () => {
  it('puts In-Reply-To first, then References newest first, without duplicates', () => {
    expect(referencedMessageIds({ inReplyTo: '<c@x>', references: ['<a@x>', '<b@x>', '<c@x>'] })).toEqual(['<c@x>', '<b@x>', '<a@x>']);
  });

  it('is bounded', () => {
    const references = Array.from({ length: 500 }, (_, i) => `<r${i}@x>`);
    expect(referencedMessageIds({ inReplyTo: null, references })).toHaveLength(50);
  });
});

describe('findThread', () => {
  const tickets = [{ id: 't-42', number: 42 }, { id: 't-7', number: 7 }];
  const lookups = (participants: Record<string, string[]>, byMessageId: Record<string, string> = {}): ThreadingLookups => ({
    ticketByNumber: async (n) => tickets.find((t) => t.number === n) ?? null,
    ticketsByMessageIds: async (ids) => tickets.filter((t) => ids.some((id) => byMessageId[id] === t.id)),
    isParticipant: async (ticketId, address) => (participants[ticketId] ?? []).includes(address),
  });
  const reply = (over: Partial<Parameters<typeof findThread>[0]>) => ({
    subject: 'Re: [#REQ-42] Printer jammed', inReplyTo: null, references: [], from: { address: 'alice@customer.example', name: null }, ...over,
  });

  it('appends a participant\'s reply found by the subject reference', async () => {
    expect(await findThread(reply({}), lookups({ 't-42': ['alice@customer.example'] }))).toEqual({
      kind: 'append', ticket: tickets[0], via: 'subject reference [#REQ-42]', matches: [{ ticket: tickets[0], via: 'subject reference [#REQ-42]' }],
    });
  });

  it('appends a reply found by In-Reply-To (our acknowledgment\'s Message-ID)', async () => {
    const found = await findThread(
      reply({ subject: 'Re: Printer jammed', inReplyTo: '<ack-42@mailroom.help.example>' }),
      lookups({ 't-42': ['alice@customer.example'] }, { '<ack-42@mailroom.help.example>': 't-42' }),
    );
    expect(found).toMatchObject({ kind: 'append', ticket: tickets[0], via: 'In-Reply-To/References header' });
  });

  it('does not let a stranger into someone else\'s ticket', async () => {
    const found = await findThread(reply({ from: { address: 'mallory@evil.example', name: null } }), lookups({ 't-42': ['alice@customer.example'] }));
    expect(found).toEqual({ kind: 'stranger', tickets: [tickets[0]], via: 'subject reference [#REQ-42]' });
  });

  it('picks the referenced ticket the sender takes part in', async () => {
    const found = await findThread(reply({ subject: 'Re: [#REQ-42] [#REQ-7] merged?' }), lookups({ 't-7': ['alice@customer.example'] }));
    expect(found).toMatchObject({ kind: 'append', ticket: tickets[1] });
  });

  it('finds nothing for a new conversation or an unknown number', async () => {
    expect(await findThread(reply({ subject: 'Printer jammed' }), lookups({}))).toEqual({ kind: 'none' });
    expect(await findThread(reply({ subject: 'Re: [#REQ-999] x' }), lookups({}))).toEqual({ kind: 'none' });
  });
});
