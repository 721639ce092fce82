export interface Limits { maxMessageBytes: number; maxMimeParts: number; maxMimeDepth: number }

export const DEFAULT_LIMITS: Limits = { maxMessageBytes: 25 * 1024 * 1024, maxMimeParts: 500, maxMimeDepth: 20 };

/**
 * Checks size and MIME structure on the raw bytes before the parser sees them, so a hostile
 * message is quarantined cheaply instead of exhausting the parser. Returns the reason or null.
 */
export function checkLimits(raw: Buffer, limits: Limits): string | null {
  if (raw.length > limits.maxMessageBytes) {
    return `message is ${formatBytes(raw.length)}, over the ${formatBytes(limits.maxMessageBytes)} limit`;
  }
  const text = raw.toString('latin1');
  const boundaries: string[] = [];
  let parts = 0;
  const re = /content-type:[^\n]*?(?:\n[ \t][^\n]*)*?boundary\s*=\s*"?([^";\r\n]+)"?/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    boundaries.push(m[1]!);
    if (boundaries.length > limits.maxMimeDepth) return `MIME nesting deeper than ${limits.maxMimeDepth} levels`;
  }
  for (const b of boundaries) {
    const marker = `\n--${b}`;
    for (let i = text.indexOf(marker); i !== -1; i = text.indexOf(marker, i + marker.length)) {
      if (++parts > limits.maxMimeParts) return `more than ${limits.maxMimeParts} MIME parts`;
    }
  }
  return null;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}
