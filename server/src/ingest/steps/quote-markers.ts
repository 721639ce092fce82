// The localised markers quote-trim.ts looks for: attributions ("On … wrote:"), forward separators,
// quote-header names and mobile signatures. A wording table: add a client's or a language's here.

export const ATTRIBUTION_OPENING = /^(?:-+\s*)?(?:(?:On|At|In message|Am|Le|El|Il|Op|Em|Dnia|Dňa|W dniu|Den|På|Στις|В|У)\s|在|\d|[\p{L}]{2,12}\.?,\s*\d)/iu;

const WROTE = String.raw`(?:wrote|writes|said|says|schrieb|geschrieben|a écrit|nous a dit|escribió|escreveu|ha scritto|scrisse|schreef|het volgende geschreven|skrev|kirjoitti|napisał(?:\(a\))?|napsal(?:\(a\))?|napisal(?:\(a\))?|написал(?:\(а\))?|написала|пише|писал|έγραψε|yazdı|írta|rašė|rakstīja|kirjutas|a scris|写道|寫道|wrote)`;

export const ATTRIBUTION_VERB = new RegExp(String.raw`\s${WROTE}\b|\b(?:wrote on|schrieb am)\b`, 'i');
/** Every ATTRIBUTIONS pattern ends like this; a cheap test that spares the others on ordinary lines. */
export const ATTRIBUTION_ENDING = new RegExp(String.raw`(?:[:：>]|${WROTE})\s*-*$`, 'i');

export const ATTRIBUTIONS: RegExp[] = [
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
export const FORWARD_SEPARATORS: RegExp[] = [
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
export const HEADER_LINE = headerLine(HEADER_NAMES);
export const FROM_LINE = headerLine(FROM_NAMES);

export const MOBILE_SIGNATURES: RegExp[] = [
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
