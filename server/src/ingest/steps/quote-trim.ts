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
const ATTRIBUTION_OPENING = /^(?:-+\s*)?(?:(?:On|At|In message|Am|Le|El|Il|Op|Em|Dnia|Dňa|W dniu|Den|På|Στις|В|У)\s|在|\d|[\p{L}]{2,12}\.?,\s*\d)/iu;

const WROTE = String.raw`(?:wrote|writes|said|says|schrieb|geschrieben|a écrit|nous a dit|escribió|escreveu|ha scritto|scrisse|schreef|het volgende geschreven|skrev|kirjoitti|napisał(?:\(a\))?|napsal(?:\(a\))?|napisal(?:\(a\))?|написал(?:\(а\))?|написала|пише|писал|έγραψε|yazdı|írta|rašė|rakstīja|kirjutas|a scris|写道|寫道|wrote)`;

const ATTRIBUTION_VERB = new RegExp(String.raw`\s${WROTE}\b|\b(?:wrote on|schrieb am)\b`, 'i');
/** Every ATTRIBUTIONS pattern ends like this; a cheap test that spares the others on ordinary lines. */
const ATTRIBUTION_ENDING = new RegExp(String.raw`(?:[:：>]|${WROTE})\s*-*$`, 'i');

const ATTRIBUTIONS: RegExp[] = [
  // On <date>, <someone> wrote: — and the same shape in other languages
  new RegExp(String.raw`^-*\s*(?:On|At)\s.{4,300}\s${WROTE}\s*:?\s*-*$`, 'i'),
  new RegExp(String.raw`^In message\s.{4,300}\s${WROTE}\s*:?$`, 'i'),
  new RegExp(String.raw`^(?:Am|Le|El|Il|Il giorno|Op|Em|Dnia|Dňa|W dniu|Den|På|Στις|В|У)\s.{4,300}?\s${WROTE}(?:\s.{0,200})?\s*[:：]?\s*-*$`, 'i'),
  // <someone> wrote on <date>: / <someone> schrieb am <date>:
  /^.{1,200}\b(?:wrote on|schrieb am|escribió el|a écrit le)\b.{1,200}:$/i,
  // søn. 30. apr. 2017 kl. 00.26 skrev David <x@y>:
  new RegExp(String.raw`^.{0,80}\d.{0,80}\s${WROTE}\s.{0,200}:$`, 'i'),
  // 2016-03-03 17:21 GMT+01:00 Some One <a@b.c>:  /  вт, 5 янв. 2016 г. в 23:39, Erlend <a@b.c>:
  /^.{0,80}\d{4}.{1,100}<\s*[^@<>\s]+@[^@<>\s]+>:?$/,
  /^.{0,80}\d{4}.{1,100}<[^<>]{0,200}@[^<>]{1,200}>\s*:$/,
  // <someone> <a@b.c> wrote:   /   <someone> via <list> wrote:
  new RegExp(String.raw`^.{0,200}[\w.+-]+@[\w.-]+\.\w{2,}.{0,80}\s${WROTE}\s*[:：]?$`, 'i'),
  new RegExp(String.raw`^.{1,120}\svia\s.{1,120}\s${WROTE}\s*:?$`, 'i'),
  // 在 2016年12月12日，下午8:45，Someone <a@b.c> 写道：
  /^在.{4,300}(?:写道|寫道)\s*[:：]?$/,
  // пользователь X написал: / X написал(а):
  /^.{1,200}(?:пользователь|користувач).{1,200}(?:написал|написав|пише)\S*\s*:?$/i,
  /^.{0,200}\d{4}.{1,160}\s(?:napisał\(a\)|пише|написал\(а\)|napsal\(a\)):$/i,
  // Generic: a short line that ends in "wrote:"
  new RegExp(String.raw`^.{1,160}\s${WROTE}\s*:$`, 'i'),
];

/** Markers checked on every line (they do not end like an attribution). */
const FORWARD_SEPARATORS: RegExp[] = [
  // 2016-03-03 17:21 GMT+01:00 Some One
  /^\d{4}-\d\d-\d\d \d\d?:\d\d GMT[+-]\d\d:\d\d [\p{L}\p{N} ._-]+$/u,
  // Posted by someone on 01/21/2016
  /^Posted by .+ on \d{2}\/\d{2}\/\d{4}$/i,

  /^(?:Begin forwarded message|Début du message réexpédié|Début du message transféré|Anfang der weitergeleiteten Nachricht|Inicio del mensaje reenviado|Inizio messaggio inoltrato|Begin doorgestuurd bericht)\s*:?$/i,
  /^\*?\s*-{2,}\s*(?:Original Message|Forwarded message|Forwarded Message|Reply Message|Ursprüngliche Nachricht|Originalnachricht|Weitergeleitete Nachricht|Message d'origine|Message original|Message transféré|Mensaje original|Mensaje reenviado|Messaggio originale|Messaggio inoltrato|Oorspronkelijk bericht|Origineel bericht|Doorgestuurd bericht|Originalmeddelande|Vidarebefordrat meddelande|Opprinnelig melding|Videresendt melding|Oprindelig meddelelse|Videresendt meddelelse|Alkuperäinen viesti|Välitetty viesti|Wiadomość oryginalna|Oryginalna wiadomość|Przekazana wiadomość|Původní zpráva|Přeposlaná zpráva|Исходное сообщение|Пересылаемое сообщение|Переслане повідомлення|Mensagem original|Mensagem encaminhada|原始邮件|原始郵件|转发的邮件|元のメッセージ|転送されたメッセージ)\s*-{2,}\s*\*?$/i,
];

/** Outlook / Apple Mail / Thunderbird quote headers, localised. */
const HEADER_NAMES = [
  'From', 'Sent', 'Date', 'To', 'Cc', 'Bcc', 'Subject', 'Reply-To',
  'Von', 'Gesendet', 'An', 'Betreff', 'Datum', 'Kopie',
  'De', 'Envoyé', 'Envoyé le', 'À', 'A', 'Objet', 'Expéditeur', 'Destinataire', 'Répondre à',
  'Enviado', 'Enviado el', 'Enviada em', 'Para', 'Asunto', 'Assunto', 'Fecha', 'CC',
  'Da', 'Inviato', 'Oggetto', 'Data', 'Risposta',
  'Van', 'Verzonden', 'Aan', 'Onderwerp', 'Beantwoorden - Aan',
  'Från', 'Skickat', 'Till', 'Ämne', 'Fra', 'Sendt', 'Til', 'Emne', 'Kopi',
  'Lähettäjä', 'Lähetetty', 'Vastaanottaja', 'Aihe',
  'Od', 'Wysłano', 'Wysłane', 'Do', 'Temat', 'Odesláno', 'Komu', 'Předmět',
  'От', 'Отправлено', 'Кому', 'Тема', 'Дата', 'Копия',
  '发件人', '发送时间', '收件人', '抄送', '主题', '寄件者', '收件者', '主旨', '日期', '差出人', '送信日時', '宛先', '件名',
];
const FROM_NAMES = ['From', 'Von', 'De', 'Expéditeur', 'Da', 'Van', 'Från', 'Fra', 'Lähettäjä', 'Od', 'От', '发件人', '寄件者', '差出人'];
const headerLine = (names: string[]) => new RegExp(
  String.raw`^\s*[*_]{0,2}\s*(?:${names.map((n) => n.replace(/[-]/g, '\\-')).join('|')})\s*[*_]{0,2}\s*[:：]\s*[*_]{0,2}\s*\S`,
  'i',
);
const HEADER_LINE = headerLine(HEADER_NAMES);
const FROM_LINE = headerLine(FROM_NAMES);

const MOBILE_SIGNATURES: RegExp[] = [
  /^[(<]*sent (?:from|via|with|by|using) .{1,80}[)>]*$/i,
  /^[\p{L}]+ from mobile$/iu,
  /^from my .{1,20}$/i,
  /^get outlook for .{1,60}$/i,
  /^envoyé (?:de|depuis) (?:mon|ma|yahoo mail|outlook).{0,60}$/i,
  /^von meinem .{1,60} gesendet\.?$/i,
  /^diese nachricht wurde von .{1,80} gesendet\.?$/i,
  /^gesendet (?:von|mit) .{1,60}$/i,
  /^inviato da .{1,60}$/i,
  /^sendt fra min .{1,60}$/i,
  /^enviado (?:do|desde) (?:meu|mi) .{1,60}$/i,
  /^verzonden (?:met|vanaf) .{1,60}$/i,
  /^verstuurd vanaf mijn .{1,60}$/i,
  /^(?:skickat|skickad) från min .{1,60}$/i,
  /^från min .{1,60}$/i,
  /^wysłane z .{1,60}$/i,
  /^отправлено (?:с|из) .{1,60}$/i,
  /^從我的 iphone 傳送$/i,
  /^发自我的\s?iphone$/i,
];

function isMobileSignature(line: string): boolean {
  const plain = line.trim().replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').replace(/<https?:[^>]*>/g, '').trim();
  return MOBILE_SIGNATURES.some((r) => r.test(plain));
}
