export interface Limits {
  maxMessageBytes: number;
  maxMimeParts: number;
  maxMimeDepth: number;
  /** One header field, folded lines included (Postfix's `header_size_limit` is 100 KB too). */
  maxHeaderFieldBytes: number;
  /** The message's own header section. */
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 25 * 1024 * 1024,
  maxMimeParts: 500,
  maxMimeDepth: 20,
  maxHeaderFieldBytes: 100 * 1024,
  maxHeaderBytes: 1024 * 1024,
};

const BOUNDARY = /boundary\s*=\s*(?:"([^"\r\n]*)"|([^";\s]+))/i;

/**
 * Checks size and MIME structure on the raw bytes before the parser sees them, so a hostile
 * message is quarantined cheaply instead of exhausting the parser. Returns the reason or null.
 *
 * Every step is linear in the message size: the header section is walked field by field, a
 * `content-type:` counts only where a line starts (repeated inside one line it costs nothing
 * extra), a boundary is searched for only inside the first 8 KB of its own field, and each
 * boundary's delimiter lines are counted with indexOf. No regex runs over the whole message.
 */
export function checkLimits(raw: Buffer, limits: Limits): string | null {
  if (raw.length > limits.maxMessageBytes) {
    return `message is ${formatBytes(raw.length)}, over the ${formatBytes(limits.maxMessageBytes)} limit`;
  }
  const text = raw.toString('latin1');
  const headerEnd = endOfHeader(text);
  if (headerEnd > limits.maxHeaderBytes) return `header section is ${formatBytes(headerEnd)}, over the ${formatBytes(limits.maxHeaderBytes)} limit`;

  const tooLong = longestField(text, headerEnd);
  if (tooLong > limits.maxHeaderFieldBytes) return `a header field is ${formatBytes(tooLong)}, over the ${formatBytes(limits.maxHeaderFieldBytes)} limit`;

  const lower = text.toLowerCase();
  const boundaries = new Set<string>();
  let parts = 0;
  let named = lower.indexOf('boundary');
  for (let at = lower.indexOf('content-type:'); at !== -1; at = lower.indexOf('content-type:', at + 13)) {
    // Only where a line starts: a field name can't stand in the middle of a line.
    if (at > 0 && text.charCodeAt(at - 1) !== 0x0a) continue;
    // A real Content-Type names its boundary early; what lies further can't be one worth counting.
    const end = fieldEnd(text, at, at + 8192);
    // The next "boundary" anywhere, looked up again only once passed: linear over the whole loop.
    if (named !== -1 && named < at) named = lower.indexOf('boundary', at);
    if (named === -1 || named > end) continue;
    const m = BOUNDARY.exec(text.slice(at, end));
    const boundary = m?.[1] ?? m?.[2];
    if (!boundary || boundaries.has(boundary)) continue;
    boundaries.add(boundary);
    if (boundaries.size > limits.maxMimeDepth) return `MIME nesting deeper than ${limits.maxMimeDepth} levels`;
    const marker = `\n--${boundary}`;
    for (let i = text.indexOf(marker); i !== -1; i = text.indexOf(marker, i + marker.length)) {
      if (++parts > limits.maxMimeParts) return `more than ${limits.maxMimeParts} MIME parts`;
    }
  }
  return null;
}

/** Offset of the blank line that ends the message's own header section (the whole text if none). */
function endOfHeader(text: string): number {
  const lf = text.indexOf('\n\n');
  const crlf = text.indexOf('\r\n\r\n');
  const ends = [lf, crlf].filter((i) => i !== -1);
  return ends.length ? Math.min(...ends) : text.length;
}

/** End of the header field starting at `start` (folded lines included), looking no further than `limit`. */
function fieldEnd(text: string, start: number, limit: number): number {
  let end = text.indexOf('\n', start);
  // Continuation lines start with a space or a tab.
  while (end !== -1 && end < limit && (text.charCodeAt(end + 1) === 0x20 || text.charCodeAt(end + 1) === 0x09)) end = text.indexOf('\n', end + 1);
  return end === -1 || end > limit ? limit : end;
}

/** Length of the longest field in the header section `[0, headerEnd)`. */
function longestField(text: string, headerEnd: number): number {
  let longest = 0;
  for (let start = 0; start < headerEnd; ) {
    const end = fieldEnd(text, start, headerEnd);
    longest = Math.max(longest, end - start);
    start = end + 1;
  }
  return longest;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}
