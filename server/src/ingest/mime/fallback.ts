import type { ParsedMessage } from '../parse.js';
import { contentHash } from '../content-hash.js';
import { fileStem } from './names.js';
import { headerSummary } from './summary.js';

/** The requester of a released message that names nobody: `.invalid` never receives mail (RFC 2606). */
export const UNKNOWN_SENDER = { address: 'unknown-sender@invalid', name: 'Unknown sender' } as const;

/**
 * What an admin's release makes of a message the parser could not read: subject and sender
 * from the raw headers, a description saying why, and the original attached as .eml so nothing
 * is lost.
 */
export function unreadableMessage(raw: Buffer, problem: string): ParsedMessage {
  const summary = headerSummary(raw);
  const subject = summary.subject ?? '';
  return {
    messageId: summary.messageId, inReplyTo: null, references: [], subject,
    from: summary.from, senderNote: null, replyTo: null, to: [], cc: [], date: null,
    text: `This message could not be read (${problem}). The original message is attached.`,
    html: null, headers: new Map(),
    attachments: [{ filename: `${fileStem(subject) || 'Original message'}.eml`, contentType: 'message/rfc822', size: raw.length, contentId: null, inline: false, content: raw }],
    contentHash: contentHash(raw),
  };
}
