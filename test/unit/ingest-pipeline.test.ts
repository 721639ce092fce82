import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../server/src/ingest/parse.ts';
import {
  decide, STEP_ORDER, type PipelineLookups, type PipelinePreference, type PipelineServer, type RuleRow,
} from '../../server/src/ingest/pipeline.ts';
import type { TicketStatus } from '../../server/src/db/schema.ts';

const now = new Date('2025-03-04T10:30:00Z');

const server: PipelineServer = {
  id: 's-1', email: 'support@help.example', filterType: null, filterEmails: [], filterDomains: [], filterKeywords: [],
  technicianGroupId: 'g-default', categoryId: 'c-default', companyId: null,
};
const pref: PipelinePreference = { emailToTicket: true, duplicateWindowMinutes: 60, perSenderHourlyCap: 20, reopenWindowDays: 14 };

const lifecycle = (t: { id: string; number: number; status?: TicketStatus; closedAt?: Date | null }) => ({ id: t.id, number: t.number, status: t.status ?? 'OPEN', closedAt: t.closedAt ?? null });

/** An in-memory stand-in for the database behind the lookups: decide() is pure apart from them. */
function fakeLookups(over: {
  tickets?: { id: string; number: number; participants: string[]; messageIds?: string[]; status?: TicketStatus; closedAt?: Date | null; previousTicketId?: string }[];
  seen?: { messageId: string | null; hash: string; at: Date; ticketId: string | null }[];
  ticketsFromSender?: number;
  rules?: RuleRow[];
} = {}): PipelineLookups & { calls: string[] } {
  const tickets = over.tickets ?? [];
  const calls: string[] = [];
  return {
    calls,
    ourAddresses: async () => new Set(['support@help.example', 'it@help.example']),
    ourMessageIdDomain: 'mailroom.help.example',
    ourLoopValue: 'mailroom@help.example',
    ticketByNumber: async (n) => { calls.push(`ticketByNumber(${n})`); const t = tickets.find((x) => x.number === n); return t ? lifecycle(t) : null; },
    ticketsByMessageIds: async (ids) => tickets.filter((t) => t.messageIds?.some((m) => ids.includes(m))).map(lifecycle),
    followUpOf: async (id) => { const t = tickets.filter((x) => x.previousTicketId === id).at(-1); return t ? lifecycle(t) : null; },
    isParticipant: async (ticketId, address) => tickets.find((t) => t.id === ticketId)?.participants.includes(address) ?? false,
    duplicateOf: async (messageId, hash, since) => {
      calls.push('duplicateOf');
      const hit = (over.seen ?? []).find((s) => s.messageId === messageId && s.hash === hash && s.at >= since);
      return hit ? { ticketId: hit.ticketId } : null;
    },
    ticketsFromSenderSince: async () => over.ticketsFromSender ?? 0,
    rules: async () => over.rules ?? [],
  };
}

const eml = (headers: string, body = 'The printer on floor 2 is jammed again.') =>
  parseMessage(Buffer.from(`${headers.trim().replace(/\n/g, '\r\n')}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`));

const newMail = () => eml(`
From: Alice Example <alice@customer.example>
To: support@help.example
Subject: Printer jammed
Date: Tue, 04 Mar 2025 10:00:00 +0000
Message-ID: <a1@customer.example>`);

const steps = (trace: { step: string; result: string }[]) => trace.map((t) => `${t.step}:${t.result}`);

describe('decide', () => {
  it('creates a ticket routed to the server defaults and traces every step', async () => {
    const d = await decide(await newMail(), server, pref, fakeLookups(), now);
    expect(d).toMatchObject({
      outcome: 'TICKET_CREATED',
      reason: 'routed to the server defaults',
      route: { technicianGroupId: 'g-default', categoryId: 'c-default', companyId: null, requestTypeId: null, priorityId: null },
      previousTicketId: null,
      matchedRules: [],
      acknowledge: true,
      acknowledgeNote: null,
    });
    expect(d.trace.map((t) => t.step)).toEqual([...STEP_ORDER]);
    expect(d.trace.every((t) => t.result === 'passed')).toBe(true);
    expect(d.fingerprint).toMatch(/^v1:/);
  });

  it('1: keeps nothing from mail when Email to Ticket is off', async () => {
    const lookups = fakeLookups();
    const d = await decide(await newMail(), server, { ...pref, emailToTicket: false }, lookups, now);
    expect(d.outcome).toBe('EMAIL_TO_TICKET_DISABLED');
    expect(steps(d.trace)).toEqual(['preference:decided', ...STEP_ORDER.slice(1).map((s) => `${s}:not-reached`)]);
    expect(lookups.calls).toEqual([]);
  });

  it('4: answers an out-of-office reply with AUTO_REPLY, naming the header', async () => {
    const oof = await parseMessage(readFileSync(new URL('../fixtures/mail/sisimai/rfc3834-02.eml', import.meta.url)));
    const d = await decide(oof, server, pref, fakeLookups(), now);
    expect(d).toMatchObject({ outcome: 'AUTO_REPLY', reason: 'header X-Auto-Response-Suppress: All' });
    expect(d.trace.find((t) => t.step === 'auto-reply')).toEqual({ step: 'auto-reply', result: 'decided', detail: 'header X-Auto-Response-Suppress: All' });
  });

  it('4: answers a bounce without a From address with AUTO_REPLY, not quarantine', async () => {
    const bounce = await parseMessage(readFileSync(new URL('../fixtures/mail/sisimai/lhost-dragonfly-01.eml', import.meta.url)));
    expect(bounce.from).toBeNull();
    expect((await decide(bounce, server, pref, fakeLookups(), now)).outcome).toBe('AUTO_REPLY');
  });

  it('4: suspects a loop for our own acknowledgment coming back and for mail from our own mailboxes', async () => {
    const ours = await eml(`From: Help Desk <desk@elsewhere.example>\nTo: alice@customer.example\nSubject: [#REQ-1] We received your request\nAuto-Submitted: auto-replied\nX-Loop: mailroom@help.example`);
    expect(await decide(ours, server, pref, fakeLookups(), now)).toMatchObject({ outcome: 'LOOP_SUSPECTED', reason: "header X-Loop: mailroom@help.example is Mailroom's own" });
    const fromIt = await eml(`From: IT <it@help.example>\nTo: support@help.example\nSubject: hi`);
    expect((await decide(fromIt, server, pref, fakeLookups(), now)).reason).toBe("sender it@help.example is one of Mailroom's own mailboxes");
  });

  it('4: suspects a loop when the sender reached the hourly cap', async () => {
    const d = await decide(await newMail(), server, pref, fakeLookups({ ticketsFromSender: 20 }), now);
    expect(d).toMatchObject({ outcome: 'LOOP_SUSPECTED', reason: 'sender alice@customer.example already opened 20 tickets in the last hour (cap 20)' });
  });

  it('quarantines a human message without a sender address', async () => {
    const anonymous = await eml(`To: support@help.example\nSubject: Printer jammed`);
    expect(await decide(anonymous, server, pref, fakeLookups(), now)).toMatchObject({ outcome: 'QUARANTINED', reason: 'no sender address (From) in the message' });
  });

  it('5: filters with the entry that matched', async () => {
    const ignoring = { ...server, filterType: 'IGNORE' as const, filterDomains: ['customer.example'] };
    expect(await decide(await newMail(), ignoring, pref, fakeLookups(), now)).toMatchObject({
      outcome: 'FILTERED', reason: 'IGNORE filter: domain "customer.example" matched sender alice@customer.example',
    });
    const allowing = { ...server, filterType: 'ALLOW' as const, filterKeywords: ['printer'] };
    expect((await decide(await newMail(), allowing, pref, fakeLookups(), now)).outcome).toBe('TICKET_CREATED');
  });

  it('6: reports the same message arriving again as DUPLICATE, pointing at its ticket', async () => {
    const msg = await newMail();
    const first = await decide(msg, server, pref, fakeLookups(), now);
    const lookups = fakeLookups({ seen: [{ messageId: msg.messageId, hash: first.fingerprint, at: new Date('2025-03-04T10:01:00Z'), ticketId: 't-9' }] });
    expect(await decide(msg, server, pref, lookups, now)).toMatchObject({ outcome: 'DUPLICATE', ticketId: 't-9' });
    // outside the window it is new again
    const later = new Date('2025-03-04T12:00:00Z');
    expect((await decide(msg, server, pref, lookups, later)).outcome).toBe('TICKET_CREATED');
  });

  it('7: appends a participant\'s reply with the quote trimmed', async () => {
    const reply = await eml(`
From: Alice Example <alice@customer.example>
To: support@help.example
Subject: RE: [External] AW: [#REQ-42] Printer jammed
Message-ID: <a2@customer.example>`, 'Still jammed after the restart.\n\nOn Tue, Mar 4, 2025 at 10:05 AM Help Desk <support@help.example> wrote:\n> Please restart the spooler.');
    const d = await decide(reply, server, pref, fakeLookups({ tickets: [{ id: 't-42', number: 42, participants: ['alice@customer.example'] }] }), now);
    expect(d).toMatchObject({
      outcome: 'APPENDED', ticketId: 't-42', appendText: 'Still jammed after the restart.', reopen: false,
      reason: 'reply to [#REQ-42] by participant alice@customer.example (matched by subject reference [#REQ-42])',
    });
    expect(steps(d.trace).slice(-2)).toEqual(['threading:decided', 'rules:not-reached']);
  });

  it('7: threads a reply to our acknowledgment by In-Reply-To alone', async () => {
    const reply = await eml(`
From: Alice Example <alice@customer.example>
To: support@help.example
Subject: Re: Printer jammed
In-Reply-To: <ack-42@mailroom.help.example>
References: <a1@customer.example> <ack-42@mailroom.help.example>`, 'Thanks!');
    const lookups = fakeLookups({ tickets: [{ id: 't-42', number: 42, participants: ['alice@customer.example'], messageIds: ['<ack-42@mailroom.help.example>'] }] });
    expect(await decide(reply, server, pref, lookups, now)).toMatchObject({ outcome: 'APPENDED', ticketId: 't-42', appendText: 'Thanks!' });
  });

  describe('7: the requester\'s side of the status lifecycle', () => {
    const replyTo42 = () => eml(`
From: Alice Example <alice@customer.example>
To: support@help.example
Subject: Re: [#REQ-42] Printer jammed
Message-ID: <a3@customer.example>`, 'It is jammed again.');
    const ticket42 = (over: { status: TicketStatus; closedAt?: Date | null }) => ({ id: 't-42', number: 42, participants: ['alice@customer.example'], ...over });
    const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);

    it('re-opens a PENDING or RESOLVED ticket, and one closed within the window', async () => {
      for (const t of [ticket42({ status: 'PENDING' }), ticket42({ status: 'RESOLVED' }), ticket42({ status: 'CLOSED', closedAt: daysAgo(13) })]) {
        const d = await decide(await replyTo42(), server, pref, fakeLookups({ tickets: [t] }), now);
        expect(d, t.status).toMatchObject({ outcome: 'APPENDED', ticketId: 't-42', reopen: true, reason: expect.stringMatching(new RegExp(`re-opens it \\(it was ${t.status}\\)$`)) });
      }
      expect(await decide(await replyTo42(), server, pref, fakeLookups({ tickets: [ticket42({ status: 'OPEN' })] }), now)).toMatchObject({ outcome: 'APPENDED', reopen: false });
    });

    it('opens a new ticket linked to one closed longer than the window, routed like any new ticket', async () => {
      const d = await decide(await replyTo42(), server, pref, fakeLookups({ tickets: [ticket42({ status: 'CLOSED', closedAt: daysAgo(15) })] }), now);
      expect(d).toMatchObject({ outcome: 'TICKET_CREATED', previousTicketId: 't-42', reason: 'follow-up of a long-closed ticket; routed to the server defaults' });
      expect(d.trace.find((t) => t.step === 'threading')).toEqual({
        step: 'threading', result: 'passed',
        detail: 'reply to [#REQ-42] by participant alice@customer.example (matched by subject reference [#REQ-42]), closed more than 14 days ago: new ticket linked to it',
      });
    });

    it('sends later replies to the old ticket to its follow-up', async () => {
      const tickets = [ticket42({ status: 'CLOSED', closedAt: daysAgo(30) }), { id: 't-50', number: 50, participants: ['alice@customer.example'], previousTicketId: 't-42', status: 'PENDING' as const }];
      expect(await decide(await replyTo42(), server, pref, fakeLookups({ tickets }), now)).toMatchObject({
        outcome: 'APPENDED', ticketId: 't-50', reopen: true, reason: expect.stringContaining('matched by subject reference [#REQ-42], then its follow-up REQ-50'),
      });
    });
  });

  it('7: gives a stranger quoting someone else\'s ticket number a new ticket', async () => {
    const hijack = await eml(`From: Mallory <mallory@evil.example>\nTo: support@help.example\nSubject: Re: [#REQ-42] Printer jammed`);
    const d = await decide(hijack, server, pref, fakeLookups({ tickets: [{ id: 't-42', number: 42, participants: ['alice@customer.example'] }] }), now);
    expect(d.outcome).toBe('TICKET_CREATED');
    expect(d.trace.find((t) => t.step === 'threading')?.detail).toBe('[#REQ-42] referenced (subject reference [#REQ-42]), but mallory@evil.example takes part in none: new ticket');
  });

  it('8: routes by rules over the server defaults and names them', async () => {
    const rules: RuleRow[] = [{
      id: 'r-1', name: 'VIP customers', position: 1, enabled: true, match: 'ANY', stopProcessing: false,
      conditions: [{ field: 'FROM', operator: 'ENDS_WITH', value: '@customer.example' }], actions: { technicianGroupId: 'g-vip', priorityId: 'p-high' },
      createdAt: new Date(0), updatedAt: new Date(0),
    }];
    const d = await decide(await newMail(), server, pref, fakeLookups({ rules }), now);
    expect(d).toMatchObject({
      outcome: 'TICKET_CREATED',
      reason: 'rule "VIP customers" set technician group; rule "VIP customers" set priority',
      route: { technicianGroupId: 'g-vip', categoryId: 'c-default', companyId: null, requestTypeId: null, priorityId: 'p-high' },
      matchedRules: [{ id: 'r-1', name: 'VIP customers' }],
    });
    expect(d.trace.find((t) => t.step === 'rules')?.result).toBe('applied');
  });

  it('creates a ticket from mailing-list mail but does not acknowledge it', async () => {
    const listMail = await eml(`
From: Alice Example <alice@customer.example>
To: support@help.example
Subject: Printer jammed
Precedence: list
List-Id: <support.help.example>`);
    expect(await decide(listMail, server, pref, fakeLookups(), now)).toMatchObject({
      outcome: 'TICKET_CREATED', acknowledge: false, acknowledgeNote: 'mailing-list mail (Precedence: list)',
    });
  });
});
