import { ATTRIBUTIONS, ATTRIBUTION_ENDING, ATTRIBUTION_OPENING, ATTRIBUTION_VERB, FORWARD_SEPARATORS, FROM_LINE, HEADER_LINE, MOBILE_SIGNATURES } from './quote-markers.js';

/**
 * Trims the quoted history off a reply so a ticket's conversation shows what the person wrote
 * (the raw message keeps everything). Each line is classified, then the reply is cut at the first
 * sign of an embedded earlier message that follows some text of its own:
 *   - an attribution ("On … wrote:", "Am … schrieb …:", "Le … a écrit :", "在 … 写道：" …),
 *   - a forward/original-message separator ("-----Original Message-----", "Begin forwarded message:"),
 *   - an Outlook-style header block ("From: … / Sent: … / To: … / Subject: …", localised),
 *   - with `signatures`, the "-- " signature separator.
 * Trailing `>` quotes go too; interleaved answers (quote, answer, quote) are kept. A reply that
 * starts with the quote (bottom posting) keeps the text after it.
 */
export interface TrimOptions {
  /** Also drop the "-- " signature block and trailing "Sent from my iPhone"-style lines and rulers. Default true. */
  signatures?: boolean;
}

type Kind =
  | 'empty' | 'text' | 'quote' | 'marker' | 'header' | 'header-from' | 'sigdash' | 'mobile' | 'ruler';

const isHeader = (k: Kind | undefined) => k === 'header' || k === 'header-from';

/** Lines longer than this are prose, never an attribution or a header; also bounds regex work. */
const MAX_MARKER_LINE = 400;
/** A reply is looked at up to here; past it the text is returned as it is (work stays bounded). */
const MAX_TRIM_CHARS = 200_000;

export function trimReply(input: string, options: TrimOptions = {}): string {
  const normalized = input.replace(/\r\n?/g, '\n');
  if (normalized.length > MAX_TRIM_CHARS) {
    // Only a cut found within the head counts; otherwise keep everything rather than guess.
    const head = trimText(normalized.slice(0, MAX_TRIM_CHARS), options);
    return head.cut ? head.text : normalized.trim();
  }
  return trimText(normalized, options).text;
}

function trimText(text: string, options: TrimOptions): { text: string; cut: boolean } {
  const signatures = options.signatures ?? true;
  if (!text.trim()) return { text: '', cut: false };
  let lines = text.split('\n');
  let kinds = classify(lines);

  const cut = cutIndex(kinds, signatures);
  if (cut !== null) {
    lines = lines.slice(0, cut);
    kinds = kinds.slice(0, cut);
  } else {
    const lead = leadingQuoteEnd(kinds);
    if (lead !== null) {
      lines = lines.slice(lead);
      kinds = kinds.slice(lead);
    }
  }

  // Attributions and separators left inside (interleaved replies, quote-only mail) say nothing.
  const keep = kinds.map((k) => k !== 'marker');
  lines = lines.filter((_, i) => keep[i]);
  kinds = kinds.filter((_, i) => keep[i]);

  if (kinds.includes('text')) {
    let end = kinds.length;
    const trailing: Kind[] = signatures ? ['empty', 'quote', 'ruler', 'sigdash', 'mobile'] : ['empty', 'quote'];
    while (end > 0 && trailing.includes(kinds[end - 1]!)) end--;
    lines = lines.slice(0, end);
  }
  if (lines.every((l) => /^[\s>]*$/.test(l))) return { text: '', cut: true };
  return { text: stripBlankLines(lines).join('\n').replace(/\s+$/, ''), cut: cut !== null };
}

function stripBlankLines(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && !lines[start]!.trim()) start++;
  while (end > start && !lines[end - 1]!.trim()) end--;
  return lines.slice(start, end);
}

/** The earliest line where the quoted history starts, provided the person wrote something above it. */
function cutIndex(kinds: Kind[], signatures: boolean): number | null {
  let seenText = false;
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i]!;
    if (k === 'text') { seenText = true; continue; }
    if (!seenText) continue;
    if (k === 'marker' && !interleavedAfter(kinds, i)) return backOverRulers(kinds, i);
    if (isHeader(k) && headerBlockAt(kinds, i)) return backOverRulers(kinds, i);
    if (k === 'sigdash' && signatures) return i;
  }
  return null;
}

/**
 * "On … wrote:" followed by quoted lines and then the person's own text again: they answered
 * below or between the quotes, so the quote is context for the answer and stays.
 */
function interleavedAfter(kinds: Kind[], at: number): boolean {
  let inQuote = false;
  for (let i = at + 1; i < kinds.length; i++) {
    const k = kinds[i]!;
    if (k === 'empty') continue;
    if (k === 'marker' || isHeader(k) || k === 'sigdash' || k === 'ruler') return false;
    if (k === 'quote') { inQuote = true; continue; }
    if (k === 'text') return inQuote;
  }
  return false;
}

/** After `at`: a quote, an answer, and another quote — an inline reply whose first quote is context. */
function answersBetweenQuotes(kinds: Kind[], at: number): boolean {
  const seq = kinds.slice(at + 1).filter((k) => k !== 'empty').map((k) => (k === 'quote' ? 'q' : k === 'text' ? 't' : 'x')).join('');
  return /^q+t+q/.test(seq);
}

/**
 * An Outlook-style block: three header lines starting with From (localised), or two under a
 * "_____" / "-----" ruler (Outlook.com starts those with Date). Blank lines between them and one
 * wrapped value are allowed; a "Q:/A:" list in a reply is not a block.
 */
function headerBlockAt(kinds: Kind[], at: number): boolean {
  let before = at - 1;
  while (before >= 0 && kinds[before] === 'empty') before--;
  const underRuler = before >= 0 && kinds[before] === 'ruler';
  if (kinds[at] !== 'header-from' && !underRuler) return false;
  const needed = underRuler ? 2 : 3;
  let headers = 0;
  let blanks = 0;
  let wrapped = 0;
  for (let i = at; i < kinds.length && i < at + 16; i++) {
    const k = kinds[i]!;
    if (isHeader(k)) { headers++; blanks = 0; if (headers >= needed) return true; continue; }
    if (k === 'empty' && ++blanks <= 1) continue;
    if (k === 'text' && headers > 0 && ++wrapped <= 1) continue;
    break;
  }
  return false;
}

/** Start the cut at an Outlook "____" or "-----" ruler right above the quoted part. */
function backOverRulers(kinds: Kind[], at: number): number {
  let i = at;
  while (i > 0 && (kinds[i - 1] === 'ruler' || kinds[i - 1] === 'empty')) i--;
  return i;
}

/** Bottom posting: [attribution / forward header] + quote, then the person's text. Returns where the text starts. */
function leadingQuoteEnd(kinds: Kind[]): number | null {
  let i = 0;
  while (i < kinds.length && kinds[i] === 'empty') i++;
  if (kinds[i] !== 'marker' || answersBetweenQuotes(kinds, i)) return null;
  while (i < kinds.length && (['marker', 'quote', 'empty', 'ruler'].includes(kinds[i]!) || isHeader(kinds[i]))) i++;
  // a forward header block may wrap its Subject onto a line of its own
  if (i < kinds.length && kinds[i] === 'text' && isHeader(kinds[i + 1])) {
    i++;
    while (i < kinds.length && (kinds[i] === 'empty' || isHeader(kinds[i]))) i++;
  }
  return i < kinds.length ? i : null;
}

// ---------------------------------------------------------------------------------------------
// Line classification

function classify(lines: string[]): Kind[] {
  const kinds: Kind[] = new Array<Kind>(lines.length);
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) { inFence = !inFence; kinds[i] = 'text'; continue; }
    if (inFence) { kinds[i] = line.trim() ? 'text' : 'empty'; continue; }
    if (kinds[i] === 'marker') continue; // continuation of a wrapped attribution
    const span = markerSpan(lines, i);
    if (span > 0) { for (let j = i; j < i + span; j++) kinds[j] = 'marker'; continue; }
    kinds[i] = classifyLine(line);
  }
  return kinds;
}

function classifyLine(line: string): Kind {
  if (!line.trim()) return 'empty';
  if (/^-- ?$/.test(line)) return 'sigdash';
  if (/^\s*[-_=+~#*ᐧ—.•·]+\s*$/u.test(line)) return 'ruler';
  if (/^\s*>/.test(line)) return 'quote';
  if (line.length <= MAX_MARKER_LINE) {
    if (isMobileSignature(line)) return 'mobile';
    if (FROM_LINE.test(line)) return 'header-from';
    if (HEADER_LINE.test(line)) return 'header';
  }
  return 'text';
}

/**
 * How many lines starting at `i` form an attribution or a forward separator (0 if none). Clients
 * wrap long attributions ("On Mon, … Some One <\nfoo@bar.com> wrote:"), so up to three lines are joined.
 */
function markerSpan(lines: string[], i: number): number {
  const first = lines[i]!;
  if (first.length > MAX_MARKER_LINE || !first.trim()) return 0;
  if (isMarker(first)) return 1;
  if (!mayOpenAttribution(unquote(first))) return 0;
  let joined = first;
  for (let k = 1; k <= 4 && i + k < lines.length; k++) {
    const next = lines[i + k]!;
    if (next.length > MAX_MARKER_LINE) break;
    const piece = unquote(next).replace(/^[\s-]+/, '');
    if (!piece) {
      // Only Gmail's "<\nmailto:…>" wrapping puts blank lines inside an attribution.
      if (/^[\s>]*</.test(lines[i + k + 1] ?? '') || /<\s*$/.test(joined)) continue;
      break;
    }
    if (ATTRIBUTION_OPENING.test(piece) && isMarker(piece)) break;
    joined = /<\s*$/.test(joined) ? `${joined}${piece}` : `${joined} ${piece}`;
    if (joined.length > 2 * MAX_MARKER_LINE) break;
    if (isMarker(joined)) return k + 1;
  }
  return 0;
}

function unquote(line: string): string {
  return line.replace(/^[\s>]+/, '');
}

function isMarker(line: string): boolean {
  const l = unquote(line).replace(/\s+/g, ' ').trim();
  if (!l) return false;
  return FORWARD_SEPARATORS.some((r) => r.test(l)) || (ATTRIBUTION_ENDING.test(l) && ATTRIBUTIONS.some((r) => r.test(l)));
}

/** Whether joining the next lines into an attribution is worth trying. */
function mayOpenAttribution(line: string): boolean {
  return ATTRIBUTION_OPENING.test(line) || ATTRIBUTION_VERB.test(line) || /[\w.+-]+@[\w-]+\.[\w.-]+|<\s*$/.test(line);
}
function isMobileSignature(line: string): boolean {
  const plain = line.trim().replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').replace(/<https?:[^>]*>/g, '').trim();
  return MOBILE_SIGNATURES.some((r) => r.test(plain));
}
