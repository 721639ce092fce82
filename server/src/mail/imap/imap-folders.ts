import type { ImapFlow } from 'imapflow';
import { MailError } from '../connector.js';

export interface ListedFolder {
  path: string;
  delimiter: string | null;
}

/**
 * The listed folder an admin's "move processed mail to" name stands for, or null. Admins type a
 * folder the way their mail client shows it ("Processed", "Support/Done") or as the server's own
 * path ("INBOX.Processed"); servers differ in the hierarchy delimiter ("." on Courier, "/" on
 * Cyrus, either on Dovecot) and in whether personal folders live under INBOX. So the name is
 * tried as given, then with "/" read as the server's delimiter, each also under the personal
 * namespace prefix and under INBOX; an exact match wins over a case-insensitive one.
 */
export function resolveFolder(name: string, folders: ListedFolder[], personalPrefix = ''): string | null {
  const wanted = name.trim();
  if (!wanted) return null;
  const delimiter = folders.find((f) => f.path.toUpperCase() === 'INBOX')?.delimiter ?? folders.find((f) => f.delimiter)?.delimiter ?? '/';
  const joined = wanted.split(/\//).flatMap((part) => part.split(delimiter)).filter(Boolean).join(delimiter);
  const candidates = [...new Set([wanted, joined, personalPrefix && `${personalPrefix}${joined}`, `INBOX${delimiter}${joined}`].filter(Boolean))];
  const paths = folders.map((f) => f.path);
  for (const c of candidates) {
    const exact = paths.find((p) => p === c || (p.toUpperCase() === 'INBOX' && c.toUpperCase() === 'INBOX'));
    if (exact) return exact;
  }
  for (const c of candidates) {
    const loose = paths.filter((p) => p.toLowerCase() === c.toLowerCase());
    if (loose.length === 1) return loose[0]!;
  }
  return null;
}

/** The folder processed mail goes to, as the server names it (its own delimiter, under INBOX or not). */
export async function findMoveTarget(client: ImapFlow, name: string): Promise<string> {
  const folders = await client.list();
  const target = resolveFolder(name, folders.map((f) => ({ path: f.path, delimiter: f.delimiter })), client.namespace?.prefix ?? '');
  if (target && target.toUpperCase() !== 'INBOX') return target;
  const known = folders.map((f) => f.path).filter((p) => p.toUpperCase() !== 'INBOX').slice(0, 10);
  throw new MailError('PROTOCOL', `The folder "${name}" to move processed mail to does not exist on the mail server${known.length ? ` (its folders: ${known.join(', ')})` : ' (it has no folders besides INBOX)'}`);
}
