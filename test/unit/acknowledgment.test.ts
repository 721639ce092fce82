import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../server/src/ingest/parse.ts';
import { detectOwnMail } from '../../server/src/ingest/steps/loop.ts';
import { bareMessageId } from '../../server/src/ingest/steps/mail-headers.ts';
import { referencedMessageIds, subjectTicketNumbers } from '../../server/src/ingest/steps/threading.ts';
import { acknowledgmentSubject, composeAcknowledgment } from '../../server/src/ingest/steps/acknowledge.ts';
import { FALLBACK_MAIL_DOMAIN, mailIdentity } from '../../server/src/ingest/identity.ts';

const key = Buffer.alloc(32, 7);
const identity = mailIdentity({ publicUrl: 'https://help.example.com/desk', secretKey: key });

function ack(overrides: Partial<Parameters<typeof composeAcknowledgment>[0]> = {}) {
  return composeAcknowledgment({
    ticketNumber: 42,
    subject: 'Printer on fire',
    requester: { address: 'ada@customer.example', name: 'Ada Lovelace' },
    fromAddress: 'support@example.com',
    fromName: 'Example Support',
    inReplyTo: '<m1@customer.example>',
    references: ['<m0@customer.example>'],
    identity,
    ...overrides,
  });
}

describe('mail identity', () => {
  it('is stable per secret key and names the PUBLIC_URL host', () => {
    expect(mailIdentity({ publicUrl: 'https://help.example.com/desk', secretKey: key })).toEqual(identity);
    expect(identity.messageIdDomain).toMatch(/^mr-[0-9a-f]{12}\.help\.example\.com$/);
    expect(identity.loopValue).toBe(`mailroom@${identity.messageIdDomain}`);
    expect(mailIdentity({ publicUrl: 'https://help.example.com', secretKey: Buffer.alloc(32, 8) }).installationId).not.toBe(identity.installationId);
  });

  it('falls back to mailroom.local without a usable host', () => {
    for (const publicUrl of [undefined, 'http://localhost:4000', 'http://127.0.0.1:4000', 'http://[::1]:4000']) {
      expect(mailIdentity({ publicUrl, secretKey: key }).messageIdDomain).toBe(`mr-${identity.installationId}.${FALLBACK_MAIL_DOMAIN}`);
    }
  });
});

describe('acknowledgment subject', () => {
  it('puts the ticket reference in front once', () => {
    expect(acknowledgmentSubject(42, 'Printer on fire')).toBe('[#REQ-42] Printer on fire');
    expect(acknowledgmentSubject(42, '[#REQ-42] Printer on fire')).toBe('[#REQ-42] Printer on fire');
    expect(acknowledgmentSubject(42, 'Printer [ #req-42 ] on fire')).toBe('[#REQ-42] Printer on fire');
  });

  it("drops other tickets' references so replies cannot thread onto them", () => {
    expect(acknowledgmentSubject(42, 'Re: [#REQ-7] old problem')).toBe('[#REQ-42] Re: old problem');
    expect(subjectTicketNumbers(acknowledgmentSubject(42, 'Re: [#REQ-7] old problem'))).toEqual([42]);
  });

  it('keeps header injection out and bounds the length', () => {
    expect(acknowledgmentSubject(1, 'a\r\nBcc: victim@example.com')).toBe('[#REQ-1] a Bcc: victim@example.com');
    expect(acknowledgmentSubject(1, '')).toBe('[#REQ-1] (no subject)');
    expect(acknowledgmentSubject(1, 'x'.repeat(5000)).length).toBeLessThan(420);
  });
});

describe('composeAcknowledgment', () => {
  it('writes the headers that stop loops and let replies thread', async () => {
    const mail = await ack();
    const parsed = await parseMessage(mail.raw);
    expect(parsed.subject).toBe('[#REQ-42] Printer on fire');
    expect(parsed.messageId).toBe(mail.messageId);
    expect(mail.messageId).toMatch(new RegExp(`^<req-42\\.[0-9a-f]{16}@${identity.messageIdDomain.replace(/\./g, '\\.')}>$`));
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.headers.get('x-loop')).toBe(identity.loopValue);
    expect(parsed.headers.get('x-auto-response-suppress')).toBe('All');
    expect(parsed.headers.get('precedence')).toBe('bulk');
    expect(parsed.inReplyTo).toBe('<m1@customer.example>');
    expect(parsed.references).toEqual(['<m0@customer.example>', '<m1@customer.example>']);
    expect(parsed.from).toEqual({ address: 'support@example.com', name: 'Example Support' });
    expect(parsed.to).toEqual([{ address: 'ada@customer.example', name: 'Ada Lovelace' }]);
    expect(parsed.text).toContain('REQ-42');
    expect(parsed.text).toContain('[#REQ-42]');
    expect(mail.envelope).toEqual({ from: 'support@example.com', to: ['ada@customer.example'] });
  });

  it('is recognised as our own mail by the loop check when it comes back', async () => {
    const parsed = await parseMessage((await ack()).raw);
    expect(detectOwnMail(parsed, { addresses: [], messageIdDomain: identity.messageIdDomain, loopValue: identity.loopValue })).toMatchObject({ check: 'x-loop' });
    const withoutLoopHeader = { ...parsed, headers: new Map([...parsed.headers].filter(([k]) => k !== 'x-loop')) };
    expect(detectOwnMail(withoutLoopHeader, { addresses: [], messageIdDomain: identity.messageIdDomain, loopValue: identity.loopValue })).toMatchObject({ check: 'own-message-id' });
  });

  it("gives a customer's reply to it an In-Reply-To threading can follow", async () => {
    const mail = await ack();
    const reply = await parseMessage(Buffer.from([
      'From: ada@customer.example', 'To: support@example.com', `Subject: Re: ${mail.subject}`,
      `In-Reply-To: ${mail.messageId}`, `References: <m1@customer.example> ${mail.messageId}`, 'Message-ID: <r1@customer.example>', '', 'thanks', '',
    ].join('\r\n')));
    expect(bareMessageId(referencedMessageIds(reply)[0]!)).toBe(bareMessageId(mail.messageId));
    expect(subjectTicketNumbers(reply.subject)).toEqual([42]);
  });

  it('makes a new Message-ID every time and copes with a message that had none', async () => {
    const [a, b] = await Promise.all([ack(), ack({ inReplyTo: null, references: [] })]);
    expect(a.messageId).not.toBe(b.messageId);
    const parsed = await parseMessage(b.raw);
    expect(parsed.inReplyTo).toBeNull();
    expect(parsed.headers.has('references')).toBe(false);
  });

  it('keeps a hostile name or subject out of the headers', async () => {
    const mail = await ack({ subject: 'x\r\nBcc: victim@example.com', requester: { address: 'ada@customer.example', name: 'Ada\r\nBcc: victim@example.com' } });
    const head = mail.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).not.toMatch(/^Bcc:/im);
    const parsed = await parseMessage(mail.raw);
    expect(parsed.cc).toEqual([]);
    expect(parsed.to.map((a) => a.address)).toEqual(['ada@customer.example']);
  });
});
