import { createHash } from 'node:crypto';
import type { ParsedMessage } from '../parse.js';
import { bareMessageId } from './mail-headers.js';

/**
 * SPEC §4 step 6. The same message reaching us twice (a resent copy, or one mail addressed to two
 * of our mailboxes via To + Cc) arrives as different bytes: each delivery adds its own
 * Delivered-To / Received / Return-Path lines. So the content hash compared here is taken over
 * what the sender wrote — Message-ID, Date, From, To, Cc, Subject, body and attachments — and
 * never over the raw bytes. Two different messages that happen to share a Message-ID hash
 * differently and are not duplicates.
 */
export function contentFingerprint(msg: Pick<ParsedMessage, 'messageId' | 'date' | 'from' | 'to' | 'cc' | 'subject' | 'text' | 'html' | 'attachments'>): string {
  const h = createHash('sha256');
  const field = (name: string, value: string) => h.update(`${name}\u0000${value.length}\u0000${value}\u0000`);
  field('message-id', msg.messageId ? bareMessageId(msg.messageId) : '');
  field('date', msg.date && !Number.isNaN(msg.date.getTime()) ? msg.date.toISOString() : '');
  field('from', msg.from?.address ?? '');
  field('to', msg.to.map((a) => a.address).sort().join(','));
  field('cc', msg.cc.map((a) => a.address).sort().join(','));
  field('subject', msg.subject.replace(/\s+/g, ' ').trim());
  field('text', msg.text.replace(/\r\n?/g, '\n').replace(/\s+$/gm, '').trim());
  field('html', msg.html ? createHash('sha256').update(msg.html.replace(/\s+/g, ' ').trim()).digest('hex') : '');
  for (const a of msg.attachments) {
    field('attachment', `${a.contentType.toLowerCase()};${a.filename ?? ''};${createHash('sha256').update(a.content).digest('hex')}`);
  }
  return `v1:${h.digest('hex')}`;
}

export interface DuplicateLookup {
  duplicateOf(messageId: string | null, contentHash: string, since: Date): Promise<{ ticketId: string | null } | null>;
}

export type DuplicateVerdict =
  | { duplicate: true; ticketId: string | null; reason: string }
  | { duplicate: false; reason: string };

export async function checkDuplicate(
  msg: Pick<ParsedMessage, 'messageId'>,
  fingerprint: string,
  windowMinutes: number,
  now: Date,
  lookup: DuplicateLookup,
): Promise<DuplicateVerdict> {
  if (!(windowMinutes > 0)) return { duplicate: false, reason: 'duplicate window is 0: check off' };
  const since = new Date(now.getTime() - windowMinutes * 60_000);
  const found = await lookup.duplicateOf(msg.messageId, fingerprint, since);
  const id = msg.messageId ? `Message-ID ${msg.messageId}` : 'no Message-ID';
  if (!found) return { duplicate: false, reason: `no earlier message with ${id} and the same content in the last ${windowMinutes} minutes` };
  return { duplicate: true, ticketId: found.ticketId, reason: `already received: ${id} with the same content within the last ${windowMinutes} minutes` };
}
