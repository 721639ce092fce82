import { randomUUID } from 'node:crypto';

/** A small RFC 5322 message for delivery over LMTP. */
export function mail(opts: { from: string; to: string; subject: string; body: string; messageId?: string; headers?: string }) {
  return [
    `From: ${opts.from}`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject}`,
    `Message-ID: ${opts.messageId ?? `<${randomUUID()}@customer.example>`}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(opts.headers ? [opts.headers] : []),
    '',
    opts.body,
    '',
  ].join('\r\n');
}
