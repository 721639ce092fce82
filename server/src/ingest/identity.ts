import { createHmac, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * How Mailroom marks the mail it sends, so the pipeline can recognise it when it comes back
 * (SPEC §4 step 4) and threading can find the ticket a reply belongs to.
 */
export interface MailIdentity {
  /** Stable per installation: derived from the secret key, which every process of one installation shares. */
  installationId: string;
  /** The right-hand side of every Message-ID we generate; no mail system but this installation uses it. */
  messageIdDomain: string;
  /** The X-Loop value on everything we send. */
  loopValue: string;
}

export const FALLBACK_MAIL_DOMAIN = 'mailroom.local';

/**
 * `mr-<installation id>.<PUBLIC_URL host>`, or `mr-<id>.mailroom.local` without a usable host. The
 * installation id keeps the domain ours even when PUBLIC_URL's host is the company's own mail
 * domain (whose staff's Message-IDs must not look like Mailroom's), and tells two Mailroom
 * installations that write to each other apart.
 */
export function mailIdentity(opts: { publicUrl?: string | null; secretKey: Buffer }): MailIdentity {
  const installationId = createHmac('sha256', opts.secretKey).update('mailroom installation id').digest('hex').slice(0, 12);
  const messageIdDomain = `mr-${installationId}.${publicHost(opts.publicUrl) ?? FALLBACK_MAIL_DOMAIN}`;
  return { installationId, messageIdDomain, loopValue: `mailroom@${messageIdDomain}` };
}

function publicHost(publicUrl: string | null | undefined): string | null {
  if (!publicUrl) return null;
  let host: string;
  try {
    host = new URL(publicUrl).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return null;
  }
  // An IP or a single label (localhost) says nothing about the installation; a Message-ID wants a name.
  if (!host || isIP(host.replace(/^\[|\]$/g, '')) || !host.includes('.')) return null;
  return /^[a-z0-9.-]+$/.test(host) ? host : null;
}

/** `<req-42.3f9c1a7b2d4e6f80@mr-….example.com>`: the ticket number for people reading headers, randomness for uniqueness. */
export function acknowledgmentMessageId(ticketNumber: number, identity: Pick<MailIdentity, 'messageIdDomain'>): string {
  return `<req-${ticketNumber}.${randomBytes(8).toString('hex')}@${identity.messageIdDomain}>`;
}

/** A technician's reply: `<reply-42.…@mr-….example.com>`, in the same domain, so threading and loop detection know it. */
export function replyMessageId(ticketNumber: number, identity: Pick<MailIdentity, 'messageIdDomain'>): string {
  return `<reply-${ticketNumber}.${randomBytes(8).toString('hex')}@${identity.messageIdDomain}>`;
}
