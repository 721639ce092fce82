// The project's parseMessage() against other parsers' expected results (see README.md here).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from 'html-to-text';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMessage, ParseError, type ParsedMessage } from '../../server/src/ingest/parse.ts';

const corpus = process.env.MAILROOM_CORPUS_DIR ?? path.resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/corpus');

const FIELDS = ['subject', 'from', 'text', 'html', 'attachments', 'names', 'types', 'sizes'] as const;
type Field = (typeof FIELDS)[number];
const HEADINGS: Record<Field, string> = {
  subject: 'subject', from: 'from', text: 'text', html: 'html', attachments: 'attachment count', names: 'attachment names', types: 'attachment types', sizes: 'attachment sizes',
};

class Tally {
  readonly agree = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<Field, number>;
  readonly total = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<Field, number>;
  readonly misses = Object.fromEntries(FIELDS.map((f) => [f, [] as string[]])) as Record<Field, string[]>;
  files = 0;
  /** Attachments we leave without a name (the SPA then says a bare "attachment"). */
  nameless = 0;
  /** Messages whose subject, sender name, text or file names hold U+FFFD: bytes decoded in the wrong charset. */
  garbled: string[] = [];
  unparseable: string[] = [];
  check(field: Field, name: string, ok: boolean) {
    this.total[field]++;
    if (ok) this.agree[field]++;
    else this.misses[field].push(name);
  }
  counted(msg: ParsedMessage, name: string) {
    if ([msg.subject, msg.from?.name, msg.text, ...msg.attachments.map((a) => a.filename)].some((v) => v?.includes('\uFFFD'))) this.garbled.push(name);
    this.nameless += msg.attachments.filter((a) => !a.filename?.trim() || a.filename === 'attachment').length;
  }
}

if (!existsSync(corpus)) console.log(`corpus suite: no corpus at ${corpus} (set MAILROOM_CORPUS_DIR): skipping`);
const rows: string[][] = [['set', 'files', ...FIELDS.map((f) => HEADINGS[f]), 'nameless', 'garbled', 'unparseable']];
const details: string[] = [];
afterAll(() => {
  if (rows.length === 1) return;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\nparseMessage() agreement (corpus: ${corpus})\n${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n')}\n${details.join('\n')}\n`);
});

/** Prints the set's row; every part has a name and no text came out in the wrong charset (regression guards). */
function report(set: string, t: Tally) {
  const cell = (f: Field) => (t.total[f] ? `${t.agree[f]}/${t.total[f]} (${((100 * t.agree[f]) / t.total[f]).toFixed(0)} %)` : 'n/a');
  rows.push([set, String(t.files), ...FIELDS.map(cell), String(t.nameless), String(t.garbled.length), String(t.unparseable.length)]);
  if (t.garbled.length) details.push(`  ${set} garbled (U+FFFD): ${t.garbled.join(', ')}`);
  expect(t.nameless, `${set}: attachments without a name`).toBe(0);
  expect(t.garbled, `${set}: text with U+FFFD`).toEqual([]);
  for (const f of FIELDS) {
    if (t.misses[f].length) details.push(`  ${set} ${HEADINGS[f]} disagrees: ${t.misses[f].join(', ')}`);
  }
}

async function parse(file: string, t: Tally, name: string): Promise<ParsedMessage | null> {
  t.files++;
  try {
    const msg = await parseMessage(readFileSync(file));
    t.counted(msg, name);
    return msg;
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    t.unparseable.push(name);
    return null;
  }
}

const squash = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
const contains = (haystack: string | null | undefined, needle: string) => squash(haystack).includes(squash(needle).slice(0, 80));
/** The words of an HTML body, to compare bodies whatever the markup around them. */
const words = (html: string | null | undefined) => squash(convert(html ?? '', { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }, { selector: 'a', options: { ignoreHref: true } }] }));
const skipped = (what: string, p: string) => `${what} — skipped: ${p} not found (set MAILROOM_CORPUS_DIR)`;
const baseType = (t: string | null | undefined) => (t ?? '').split(';')[0]!.trim().toLowerCase();
/** Every expected value found among ours, each of ours used once. */
function allFound<T>(expected: T[], ours: T[], same: (e: T, o: T) => boolean): boolean {
  const left = [...ours];
  return expected.every((e) => {
    const i = left.findIndex((o) => same(e, o));
    if (i < 0) return false;
    left.splice(i, 1);
    return true;
  });
}

const stalwart = path.join(corpus, 'stalwart-mail-parser');
describe.skipIf(!existsSync(path.join(stalwart, 'summary.json')))(existsSync(stalwart) ? 'stalwart mail-parser summary.json' : skipped('stalwart', stalwart), () => {
  it('parses every message and prints the agreement', async () => {
    type Kind = 'Text' | 'Html' | 'InlineBinary' | 'Binary' | 'Message';
    type Entry = {
      file: string; subject: string | null; from: { address: string | null }[] | null;
      text_body: (string | null)[]; text_body_kinds: Kind[]; html_body: (string | null)[]; html_body_kinds: Kind[];
      attachments: { content_type: string | null; filename: string | null; size: number | null; body_kind: Kind }[];
    };
    const entries = JSON.parse(readFileSync(path.join(stalwart, 'summary.json'), 'utf8')) as Entry[];
    const t = new Tally();
    for (const e of entries) {
      const msg = await parse(path.join(stalwart, 'resources/eml', e.file), t, e.file);
      if (!msg) continue;
      t.check('subject', e.file, squash(msg.subject) === squash(e.subject));
      const from = e.from?.find((a) => a.address && a.address.includes('@'))?.address?.toLowerCase() ?? null;
      t.check('from', e.file, (msg.from?.address ?? null) === from);
      // stalwart's text body of an HTML-only message is that HTML: compare its words.
      const firstText = e.text_body.map((b, i) => (b && e.text_body_kinds[i] === 'Html' ? words(b) : b)).find((b): b is string => typeof b === 'string' && b.trim() !== '');
      if (firstText) t.check('text', e.file, contains(msg.text, firstText));
      const firstHtml = e.html_body.find((b, i): b is string => typeof b === 'string' && e.html_body_kinds[i] === 'Html' && words(b) !== '');
      if (firstHtml) t.check('html', e.file, contains(words(msg.html), words(firstHtml)));
      t.check('attachments', e.file, msg.attachments.length === e.attachments.length);
      const named = e.attachments.filter((a) => a.filename);
      if (named.length) t.check('names', e.file, allFound(named.map((a) => a.filename!), msg.attachments.map((a) => a.filename ?? ''), (x, y) => x === y));
      const typed = e.attachments.filter((a) => a.content_type);
      if (typed.length) t.check('types', e.file, allFound(typed.map((a) => baseType(a.content_type)), msg.attachments.map((a) => baseType(a.contentType)), (x, y) => x === y));
      const sized = e.attachments.filter((a) => a.size !== null && a.body_kind !== 'Message');
      if (sized.length) t.check('sizes', e.file, allFound(sized.map((a) => a.size!), msg.attachments.map((a) => a.size), (x, y) => x === y));
    }
    report('stalwart-mail-parser', t);
    expect(t.files).toBe(entries.length);
  });
});

const php = path.join(corpus, 'php-mime-mail-parser');
describe.skipIf(!existsSync(path.join(php, 'parser_test.expected.json')))(existsSync(php) ? 'php-mime-mail-parser' : skipped('php-mime-mail-parser', php), () => {
  it('parses every case and prints the agreement', async () => {
    type Expectation = ['MATCH', string] | ['COUNT', number, string];
    type Case = {
      mail: string; subject: string; from: { address: string }[]; text_expected: Expectation; html_expected: Expectation;
      attachments: { filename: string; size: number; content_type: string }[];
    };
    const { cases } = JSON.parse(readFileSync(path.join(php, 'parser_test.expected.json'), 'utf8')) as { cases: Case[] };
    const t = new Tally();
    const meets = (actual: string, ex: Expectation) => (ex[0] === 'MATCH' ? squash(actual) === squash(ex[1]) : actual.split(ex[2]).length - 1 === ex[1]);
    for (const c of cases) {
      const file = [path.join(php, 'tests/mails', c.mail), path.join(php, 'tests/mails', `${c.mail}.eml`)].find(existsSync);
      if (!file) continue;
      const msg = await parse(file, t, c.mail);
      if (!msg) continue;
      t.check('subject', c.mail, squash(msg.subject) === squash(c.subject));
      t.check('from', c.mail, (msg.from?.address ?? null) === (c.from[0]?.address?.toLowerCase() ?? null));
      t.check('text', c.mail, meets(msg.text, c.text_expected));
      // An empty expected HTML means "no HTML part": ours is then empty too (or null).
      t.check('html', c.mail, meets(msg.html ?? '', c.html_expected));
      t.check('attachments', c.mail, msg.attachments.length === c.attachments.length);
      if (c.attachments.length) {
        t.check('names', c.mail, allFound(c.attachments.map((a) => a.filename), msg.attachments.map((a) => a.filename ?? ''), (x, y) => x === y));
        t.check('types', c.mail, allFound(c.attachments.map((a) => baseType(a.content_type)), msg.attachments.map((a) => baseType(a.contentType)), (x, y) => x === y));
        t.check('sizes', c.mail, allFound(c.attachments.map((a) => a.size), msg.attachments.map((a) => a.size), (x, y) => x === y));
      }
    }
    report('php-mime-mail-parser', t);
    expect(t.files).toBeGreaterThan(0);
  });
});

const nodemailer = path.join(corpus, 'nodemailer-mailparser');
describe.skipIf(!existsSync(path.join(nodemailer, 'EXPECTATIONS.json')))(existsSync(nodemailer) ? 'nodemailer mailparser' : skipped('nodemailer mailparser', nodemailer), () => {
  it('parses every fixture and prints the agreement', async () => {
    const expectations = JSON.parse(readFileSync(path.join(nodemailer, 'EXPECTATIONS.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const t = new Tally();
    for (const [rel, e] of Object.entries(expectations)) {
      if (rel.startsWith('_') || !existsSync(path.join(nodemailer, rel))) continue;
      const name = path.basename(rel);
      const msg = await parse(path.join(nodemailer, rel), t, name);
      if (!msg) continue;
      if (typeof e.subject === 'string') t.check('subject', name, msg.subject === e.subject.trim());
      if (typeof e.attachments_count === 'number') t.check('attachments', name, msg.attachments.length === e.attachments_count);
      if (typeof e.text_contains === 'string') t.check('text', name, msg.text.includes(e.text_contains));
      // Exact texts were asserted with other MailParser options; compare what parseMessage keeps (trimmed).
      if (typeof e.text === 'string' && !/^(truthy|falsy)$/.test(e.text) && /^(simpleParser|MailParser)$/.test(String(e.api))) t.check('text', name, squash(msg.text) === squash(e.text));
      if (e.text === 'truthy') t.check('text', name, msg.text.length > 0);
      // data: images are mailparser's own rewrite (we keep cid: links and store the image), so html_contains is skipped.
      if (e['html.trim()'] === 'non-empty') t.check('html', name, (msg.html ?? '').trim().length > 0);
      if (e.html === 'falsy') t.check('html', name, !msg.html);
    }
    report('nodemailer-mailparser', t);
    expect(t.files).toBeGreaterThan(0);
  });
});

/**
 * The Ruby mail gem's spec assertions about its fixtures, where they are plain comparisons with a
 * string or a number: subject, attachment count and names, the decoded body.
 */
const ruby = path.join(corpus, 'ruby-mail-gem');
describe.skipIf(!existsSync(path.join(ruby, 'spec_expectations.json')))(existsSync(ruby) ? 'ruby mail gem' : skipped('ruby mail gem', ruby), () => {
  it('parses the fixtures its specs assert on and prints the agreement', async () => {
    type Spec = { fixtures: string[]; expects: string[] };
    const specs = JSON.parse(readFileSync(path.join(ruby, 'spec_expectations.json'), 'utf8')) as Spec[];
    const fixtures = new Map<string, string>();
    const walk = (dir: string) => {
      for (const entry of readdirSafe(dir)) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else fixtures.set(entry.name, p);
      }
    };
    walk(path.join(ruby, 'spec/fixtures/emails'));
    const literal = (s: string): string | null => {
      const m = /^(['"])(.*)\1$/.exec(s.trim());
      if (!m) return null;
      return m[1] === "'" ? m[2]!.replace(/\\'/g, "'") : m[2]!.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\"/g, '"');
    };
    const t = new Tally();
    for (const spec of specs) {
      if (spec.fixtures.length !== 1) continue;
      const file = fixtures.get(spec.fixtures[0]!);
      if (!file) continue;
      const checks: [Field, (m: ParsedMessage) => boolean][] = [];
      for (const line of spec.expects) {
        let m: RegExpExecArray | null;
        if ((m = /^expect\((?:@?\w+)\.subject\)\.to eq (.+)$/.exec(line)) && literal(m[1]!) !== null) {
          const want = literal(m[1]!)!;
          checks.push(['subject', (msg) => msg.subject === want.trim()]);
        } else if ((m = /^expect\((?:@?\w+)\.attachments\.(?:length|size)\)\.to eq (\d+)/.exec(line))) {
          const n = Number(m[1]);
          checks.push(['attachments', (msg) => msg.attachments.length === n]);
        } else if ((m = /^expect\((?:@?\w+)\.attachments(?:\.first|\[(\d+)\])\.filename\)\.to eq (.+)$/.exec(line)) && literal(m[2]!) !== null) {
          const i = Number(m[1] ?? 0);
          const want = literal(m[2]!)!;
          checks.push(['names', (msg) => msg.attachments[i]?.filename === want]);
        } else if ((m = /^expect\((?:@?\w+)\.(?:body\.)?decoded(\.chomp)?\)\.to eq (.+)$/.exec(line)) && literal(m[2]!) !== null) {
          const want = literal(m[2]!)!;
          checks.push(['text', (msg) => squash(msg.text) === squash(want)]);
        }
      }
      if (!checks.length) continue;
      const name = spec.fixtures[0]!;
      const msg = await parse(file, t, name);
      if (!msg) continue;
      for (const [field, ok] of checks) t.check(field, name, ok(msg));
    }
    report('ruby-mail-gem', t);
    expect(t.files).toBeGreaterThan(0);
  });
});

function readdirSafe(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
