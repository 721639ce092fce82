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
