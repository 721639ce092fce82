// A technician's reply as mail (modules/tickets/reply-mail.ts): the subject keeps one tag, ours;
// both alternatives come from one body, HTML sanitized like incoming mail; the headers chain the
// conversation and mark the mail as ours without calling it automatic.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeReply, replyBody, replySubject } from '../../server/src/modules/tickets/reply-mail.ts';

const identity = { messageIdDomain: 'mr-abc.mailroom.local', loopValue: 'mailroom@mr-abc.mailroom.local' };

describe('replySubject', () => {
  it('puts one reference, ours, after the subject without reply prefixes', () => {
    expect(replySubject(42, 'Printer on fire')).toBe('Re: Printer on fire [#REQ-42]');
    expect(replySubject(42, 'RE: AW: [#REQ-42] Printer on fire')).toBe('Re: Printer on fire [#REQ-42]');
    expect(replySubject(42, 'Re: [#REQ-7] follow-up of [REQ-8]')).toBe('Re: follow-up of [#REQ-42]');
    expect(replySubject(42, '   ')).toBe('Re: (no subject) [#REQ-42]');
    expect(replySubject(42, 'line\r\nbreak')).toBe('Re: line break [#REQ-42]');
  });
});

describe('replyBody', () => {
  it('turns text into escaped paragraphs', async () => {
    expect(await replyBody('Hi <b>you</b> & me\r\nline two\n\n\nnext', 'TEXT')).toEqual({
      text: 'Hi <b>you</b> & me\nline two\n\n\nnext',
      html: '<p>Hi &#60;b&#62;you&#60;/b&#62; &#38; me<br>line two</p>\n<p>next</p>',
    });
  });

  it('sanitizes HTML like incoming mail and derives the text from what is left', async () => {
    const body = await replyBody('<p onclick="x()">Hello <script>alert(1)</script><a href="javascript:x">there</a></p><p>Bye</p>', 'HTML');
    expect(body.html).not.toMatch(/script|onclick|javascript/);
    expect(body.text).toBe('Hello there\n\nBye');
  });
});

describe('composeReply', () => {
  it('chains In-Reply-To and References, sets our X-Loop but no Auto-Submitted, and carries Cc and attachments', async () => {
    const mail = await composeReply({
      ticketNumber: 7, subject: 'VPN', from: { address: 'desk@example.com', name: 'Desk' }, to: { address: 'ada@customer.example', name: 'Ada' },
      cc: ['bob@customer.example'], body: await replyBody('Try again.', 'TEXT'),
      parent: { messageId: '<ack-7@mr-abc.mailroom.local>', references: ['<orig@customer.example>'] },
      attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('hi') }], identity,
    });
    expect(mail.envelope).toEqual({ from: 'desk@example.com', to: ['ada@customer.example', 'bob@customer.example'] });
    const parsed = await simpleParser(mail.raw);
    expect(parsed.messageId).toBe(mail.messageId);
    expect(parsed.messageId).toMatch(/^<reply-7\.[0-9a-f]{16}@mr-abc\.mailroom\.local>$/);
    expect(parsed.inReplyTo).toBe('<ack-7@mr-abc.mailroom.local>');
    expect(parsed.references).toEqual(['<orig@customer.example>', '<ack-7@mr-abc.mailroom.local>']);
    expect(parsed.headers.get('x-loop')).toBe(identity.loopValue);
    expect(parsed.headers.has('auto-submitted')).toBe(false);
    expect(parsed.headers.has('precedence')).toBe(false);
    expect(parsed.cc).toMatchObject({ value: [{ address: 'bob@customer.example' }] });
    expect([parsed.text?.trim(), parsed.html]).toEqual(['Try again.', '<p>Try again.</p>']);
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['a.txt']);
  });

  it('starts a thread of its own when the conversation has no Message-ID yet', async () => {
    const mail = await composeReply({
      ticketNumber: 8, subject: 'x', from: { address: 'desk@example.com' }, to: { address: 'ada@customer.example' }, cc: [],
      body: await replyBody('x', 'TEXT'), parent: null, attachments: [], identity,
    });
    const parsed = await simpleParser(mail.raw);
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.references).toBeUndefined();
  });
});
