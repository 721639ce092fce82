import { randomUUID } from 'node:crypto';

/** A small RFC 5322 message for delivery over LMTP; with `attachment`, multipart/mixed with one file. */
export function mail(opts: {
  from: string; to: string; subject: string; body: string; messageId?: string; headers?: string;
  attachment?: { filename: string; type: string; content: string };
}) {
  const head = [
    `From: ${opts.from}`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject}`,
    `Message-ID: ${opts.messageId ?? `<${randomUUID()}@customer.example>`}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
  ];
  const extra = opts.headers ? [opts.headers] : [];
  if (!opts.attachment) return [...head, 'Content-Type: text/plain; charset=utf-8', ...extra, '', opts.body, ''].join('\r\n');
  const boundary = `b-${randomUUID()}`;
  const { filename, type, content } = opts.attachment;
  return [
    ...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, ...extra, '',
    `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', opts.body,
    `--${boundary}`, `Content-Type: ${type}; name="${filename}"`, `Content-Disposition: attachment; filename="${filename}"`, 'Content-Transfer-Encoding: base64', '',
    Buffer.from(content).toString('base64'),
    `--${boundary}--`, '',
  ].join('\r\n');
}
