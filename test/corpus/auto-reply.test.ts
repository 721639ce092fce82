// Auto-reply / bounce detector against real automated and ordinary mail (see README.md here).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMessage, ParseError, type ParsedMessage } from '../../server/src/ingest/parse.ts';
import { detectAutomated } from '../../server/src/ingest/steps/auto-reply.ts';

const corpus = process.env.MAILROOM_CORPUS_DIR ?? path.resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/corpus');
const sisimai = path.join(corpus, 'sisimai-set-of-emails/maildir');
const present = existsSync(sisimai);

/**
 * In bsd/ but written by a person: "Forward the message." above a forwarded bounce. A help desk
 * must take that as a question, so it is counted apart rather than chased.
 */
const HUMAN_IN_BSD = new Set(['lhost-sendmail-14.eml']);

/** Mail in the other corpora that is itself automated, with what makes it so. */
const AUTOMATED_ELSEWHERE: Record<string, string> = {
  'nodemailer-mailparser/test/fixtures/delivery-status.eml': 'Amazon SES delivery report',
  'nodemailer-mailparser/test/fixtures/large_text.eml': 'Launchpad bug notification, Precedence: bulk',
  'php-mime-mail-parser/tests/mails/failure.eml': 'delivery report',
  'php-mime-mail-parser/tests/mails/issue212': 'Outlook auto-reply (Polish)',
  'ruby-mail-gem/spec/fixtures/emails/error_emails/bad_date_header.eml': 'spam, Precedence: junk',
  'ruby-mail-gem/spec/fixtures/emails/mime_emails/raw_email_with_mimepart_without_content_type.eml': 'MAILER-DAEMON delay warning',
  'ruby-mail-gem/spec/fixtures/emails/multipart_report_emails/multi_address_bounce1.eml': 'bounce',
  'ruby-mail-gem/spec/fixtures/emails/multipart_report_emails/multi_address_bounce2.eml': 'bounce',
  'ruby-mail-gem/spec/fixtures/emails/multipart_report_emails/multipart_report_multiple_status.eml': 'bounce',
  'ruby-mail-gem/spec/fixtures/emails/multipart_report_emails/report_422.eml': 'delay report',
  'ruby-mail-gem/spec/fixtures/emails/multipart_report_emails/report_530.eml': 'bounce',
};

/** Folders of ordinary mail (plus the few automated ones listed above). */
const ORDINARY_DIRS = [
  'stalwart-mail-parser/resources/eml/rfc', 'stalwart-mail-parser/resources/eml/thirdparty', 'stalwart-mail-parser/resources/eml/malformed',
  'php-mime-mail-parser/tests/mails', 'nodemailer-mailparser/test/fixtures', 'mailgun-talon/tests/fixtures/standard_replies',
  'ruby-mail-gem/spec/fixtures/emails',
];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full);
    return name.startsWith('.') || /\.(txt|json|md)$/i.test(name) ? [] : [full];
  });
}

async function parse(file: string): Promise<ParsedMessage | null> {
  try {
    return await parseMessage(readFileSync(file));
  } catch (err) {
    if (err instanceof ParseError) return null;
    throw err;
  }
}

if (!existsSync(corpus)) console.log(`corpus suite: no corpus at ${corpus} (set MAILROOM_CORPUS_DIR): skipping`);
const rows: string[][] = [];
afterAll(() => {
  if (rows.length === 0) return;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\nauto-reply / bounce detector (corpus: ${corpus})\n${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n')}\n`);
});
const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)} %`);

describe.skipIf(!present)(present ? 'auto-reply detector' : `auto-reply detector — skipped: no corpus at ${corpus} (set MAILROOM_CORPUS_DIR)`, () => {
  it('catches the automated mail of sisimai bsd/', async () => {
    const files = filesUnder(path.join(sisimai, 'bsd'));
    const byCheck = new Map<string, number>();
    const missed: string[] = [];
    let caught = 0;
    for (const file of files) {
      const msg = await parse(file);
      const verdict = msg ? detectAutomated(msg) : null;
      if (verdict) { caught++; byCheck.set(verdict.check, (byCheck.get(verdict.check) ?? 0) + 1); }
      else missed.push(path.basename(file));
    }
    const unexpected = missed.filter((f) => !HUMAN_IN_BSD.has(f));
    rows.push(['set', 'files', 'flagged', 'rate', 'notes']);
    rows.push(['sisimai bsd/ (automated)', String(files.length), String(caught), pct(caught, files.length),
      `missed: ${missed.join(', ') || 'none'}${missed.some((f) => HUMAN_IN_BSD.has(f)) ? ' (a person forwarding a bounce: meant to become a ticket)' : ''}`]);
    rows.push(['  by rule', '', '', '', [...byCheck].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')]);
    expect(files.length).toBeGreaterThan(500);
    expect(unexpected).toEqual([]);
  });

  it('lets the ordinary mail of sisimai not/ through', async () => {
    const files = filesUnder(path.join(sisimai, 'not'));
    const flagged: string[] = [];
    for (const file of files) {
      const msg = await parse(file);
      const verdict = msg ? detectAutomated(msg) : null;
      if (verdict) flagged.push(`${path.basename(file)} (${verdict.reason})`);
    }
    rows.push(['sisimai not/ (ordinary)', String(files.length), String(flagged.length), pct(flagged.length, files.length), flagged.join('; ') || 'no false positives']);
    expect(flagged).toEqual([]);
  });

  it('flags only the automated mail among the other corpora', async () => {
    let total = 0;
    let automatedCaught = 0;
    const falsePositives: string[] = [];
    const missedAutomated: string[] = [];
    for (const dir of ORDINARY_DIRS) {
      for (const file of filesUnder(path.join(corpus, dir))) {
        total++;
        const rel = path.relative(corpus, file);
        const msg = await parse(file);
        const verdict = msg ? detectAutomated(msg) : null;
        const known = AUTOMATED_ELSEWHERE[rel];
        if (known && verdict) automatedCaught++;
        else if (known) missedAutomated.push(rel);
        else if (verdict) falsePositives.push(`${rel} (${verdict.reason})`);
      }
    }
    const human = total - Object.keys(AUTOMATED_ELSEWHERE).length;
    rows.push(['other corpora, human mail', String(human), String(falsePositives.length), pct(falsePositives.length, human), falsePositives.join('; ') || 'no false positives']);
    rows.push(['other corpora, automated', String(Object.keys(AUTOMATED_ELSEWHERE).length), String(automatedCaught),
      pct(automatedCaught, Object.keys(AUTOMATED_ELSEWHERE).length), missedAutomated.length ? `missed: ${missedAutomated.join(', ')}` : 'delivery reports, auto-replies, bulk']);
    expect(falsePositives).toEqual([]);
    expect(missedAutomated).toEqual([]);
  });
});
