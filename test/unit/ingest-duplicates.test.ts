import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../server/src/ingest/parse.ts';
import { checkDuplicate, contentFingerprint } from '../../server/src/ingest/steps/duplicates.ts';

const message = `From: Alice Example <alice@customer.example>
To: support@help.example
Cc: it@help.example
Subject: Printer jammed
Date: Tue, 04 Mar 2025 10:00:00 +0000
Message-ID: <a1@customer.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

The printer on floor 2 is jammed again.
--b
Content-Type: image/png; name="jam.png"
Content-Disposition: attachment; filename="jam.png"
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==
--b--
`;

/** What each mailbox's delivery puts in front of the same message. */
const delivered = (to: string, hop: string, body = message) =>
  parseMessage(Buffer.from(`Return-Path: <alice@customer.example>\nDelivered-To: ${to}\nReceived: from mx.customer.example by ${hop}; Tue, 04 Mar 2025 10:00:0${hop.length % 10} +0000\n${body}`.replace(/\n/g, '\r\n')));

describe('contentFingerprint', () => {
  it('is the same for one message delivered to two of our mailboxes (To + Cc)', async () => {
    const a = await delivered('support@help.example', 'mx1.help.example');
    const b = await delivered('it@help.example', 'mx2.help.example');
    expect(a.contentHash).not.toBe(b.contentHash); // the raw bytes differ
    expect(contentFingerprint(a)).toBe(contentFingerprint(b));
    expect(contentFingerprint(a)).toMatch(/^v1:[0-9a-f]{64}$/);
  });

  it('differs for two different messages sharing a Message-ID', async () => {
    const a = await delivered('support@help.example', 'mx1');
    const b = await delivered('support@help.example', 'mx1', message.replace('jammed again.', 'working now, thanks.'));
    expect(contentFingerprint(a)).not.toBe(contentFingerprint(b));
  });

  it('differs when only an attachment differs', async () => {
    const a = await delivered('support@help.example', 'mx1');
    const b = await delivered('support@help.example', 'mx1', message.replace('hKmMIQAAAABJRU5ErkJggg==', 'hKmMIQAAAABJRU5ErkJggA=='));
    expect(contentFingerprint(a)).not.toBe(contentFingerprint(b));
  });
});

describe('checkDuplicate', () => {
  const now = new Date('2025-03-04T10:30:00Z');

  it('asks for the same Message-ID and fingerprint within the window', async () => {
    const calls: unknown[][] = [];
    const verdict = await checkDuplicate({ messageId: '<a1@customer.example>' }, 'v1:abc', 60, now, {
      duplicateOf: async (...args) => { calls.push(args); return { ticketId: 't-1' }; },
    });
    expect(calls).toEqual([['<a1@customer.example>', 'v1:abc', new Date('2025-03-04T09:30:00Z')]]);
    expect(verdict).toEqual({ duplicate: true, ticketId: 't-1', reason: 'already received: Message-ID <a1@customer.example> with the same content within the last 60 minutes' });
  });

  it('lets a new message through', async () => {
    const verdict = await checkDuplicate({ messageId: null }, 'v1:abc', 60, now, { duplicateOf: async () => null });
    expect(verdict).toEqual({ duplicate: false, reason: 'no earlier message with no Message-ID and the same content in the last 60 minutes' });
  });

  it('is off with a window of 0', async () => {
    const verdict = await checkDuplicate({ messageId: '<a@b>' }, 'v1:abc', 0, now, { duplicateOf: async () => ({ ticketId: null }) });
    expect(verdict.duplicate).toBe(false);
  });
});
