import { DEFAULT_LIMITS, checkLimits } from './limits.js';
import { ParseError, parseMessage, type ParsedMessage } from './parse.js';
import { contentFingerprint } from './steps/duplicates.js';
import { sanitizeMailHtml } from './sanitize.js';
import { rejected, type PreparedMail } from './prepared-mail.js';

export { rejected, type PreparedMail };

/**
 * Limits, parsing, HTML sanitising and the fingerprint: a pure function of the bytes, so it runs
 * in the parser pool's worker threads (ingest/parser-pool.ts) as well as here.
 */
export async function prepareMail(raw: Buffer, maxMessageBytes: number): Promise<PreparedMail> {
  const overLimit = checkLimits(raw, { ...DEFAULT_LIMITS, maxMessageBytes });
  if (overLimit) return rejected(overLimit);
  let parsed: ParsedMessage;
  try {
    parsed = await parseMessage(raw);
  } catch (err) {
    if (err instanceof ParseError) return rejected(err.message);
    throw err;
  }
  return { parsed, html: parsed.html ? sanitizeMailHtml(parsed.html) : null, fingerprint: contentFingerprint(parsed), problem: null };
}
