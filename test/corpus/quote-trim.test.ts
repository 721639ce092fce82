// Quote trimming against discourse/email_reply_trimmer and mailgun/talon expectations (see README.md here).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMessage } from '../../server/src/ingest/parse.ts';
import { trimReply } from '../../server/src/ingest/steps/quote-trim.ts';

const corpus = process.env.MAILROOM_CORPUS_DIR ?? path.resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/corpus');
const discourse = path.join(corpus, 'discourse-email-reply-trimmer/test');
const talon = path.join(corpus, 'mailgun-talon');

if (!existsSync(corpus)) console.log(`corpus suite: no corpus at ${corpus} (set MAILROOM_CORPUS_DIR): skipping`);
const rows: string[][] = [['set', 'cases', 'agree', 'rate', 'disagreements']];
afterAll(() => {
  if (rows.length === 1) return;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\nquote trimming (corpus: ${corpus})\n${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n')}\n`);
});
const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)} %`;
const skipped = (what: string, dir: string) => `${what} — skipped: ${dir} not found (set MAILROOM_CORPUS_DIR)`;

describe.skipIf(!existsSync(discourse))(existsSync(discourse) ? 'discourse email_reply_trimmer' : skipped('discourse email_reply_trimmer', discourse), () => {
  // Its contract: the reply without quoted history, signatures and trailing rulers (our default).
  it('agrees with test/trimmed for test/emails', () => {
    const names = readdirSync(path.join(discourse, 'emails')).filter((n) => existsSync(path.join(discourse, 'trimmed', n))).sort();
    const failed: string[] = [];
    for (const name of names) {
      const got = trimReply(readFileSync(path.join(discourse, 'emails', name), 'utf8'));
      const want = readFileSync(path.join(discourse, 'trimmed', name), 'utf8').replace(/\r\n?/g, '\n').trim();
      if (got.trim() !== want) failed.push(name);
    }
    const ok = names.length - failed.length;
    rows.push(['discourse emails → trimmed', String(names.length), String(ok), pct(ok, names.length), failed.join(', ') || '-']);
    expect(ok / names.length).toBeGreaterThanOrEqual(0.95);
  });
});

const talonExpected = path.join(talon, 'expected.json');
describe.skipIf(!existsSync(talonExpected))(existsSync(talonExpected) ? 'mailgun talon' : skipped('mailgun talon', talon), () => {
  const expected = () => JSON.parse(readFileSync(talonExpected, 'utf8')) as Record<string, Record<string, { expected_reply_text: string }>>;

  // talon's extract_from_plain removes the quotation only and keeps signatures.
  it('agrees on standard_replies (first text/plain part, quotation stripped, exact)', async () => {
    const cases = Object.entries(expected().standard_replies ?? {});
    const failed: string[] = [];
    let withSignatures = 0;
    for (const [name, { expected_reply_text: want }] of cases) {
      const msg = await parseMessage(readFileSync(path.join(talon, 'tests/fixtures/standard_replies', name)));
      if (trimReply(msg.text, { signatures: false }).trim() !== want.trim()) failed.push(name);
      if (trimReply(msg.text).trim() === want.trim()) withSignatures++;
    }
    const ok = cases.length - failed.length;
    rows.push(['talon standard_replies', String(cases.length), String(ok), pct(ok, cases.length), failed.join(', ') || '-']);
    rows.push(['  same, signatures also cut (our default)', String(cases.length), String(withSignatures), pct(withSignatures, cases.length), 'talon keeps "-- " blocks and "Sent from my iPhone"']);
    expect(ok / cases.length).toBeGreaterThanOrEqual(0.9);
  });

  // An HTML-only reply reaches trimReply as mailparser's text rendering of the HTML.
  it('agrees on html_replies (HTML → text → quotation stripped, whitespace ignored)', async () => {
    const cases = Object.entries(expected().html_replies ?? {});
    const failed: string[] = [];
    const squash = (s: string) => s.replace(/\s+/g, '');
    for (const [name, { expected_reply_text: want }] of cases) {
      const html = readFileSync(path.join(talon, 'tests/fixtures/html_replies', name));
      const raw = Buffer.concat([
        Buffer.from('From: alex@example.com\r\nSubject: Re: hello\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
        Buffer.from(html.toString('base64').replace(/.{76}/g, '$&\r\n')),
      ]);
      const msg = await parseMessage(raw);
      if (squash(trimReply(msg.text, { signatures: false })) !== squash(want)) failed.push(name);
    }
    const ok = cases.length - failed.length;
    rows.push(['talon html_replies', String(cases.length), String(ok), pct(ok, cases.length), failed.join(', ') || '-']);
    expect(ok / cases.length).toBeGreaterThanOrEqual(0.85);
  });
});
