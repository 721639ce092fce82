// Hand-made messages in the shapes real mailers send (issue 12): Outlook, Apple Mail, Gmail and
// Thunderbird inline images, HTML-only bodies, inline PDFs, nameless parts, attached mails,
// unlabelled or mislabelled charsets, odd senders, bodies split around attachments. Each is a
// Buffer of CRLF lines, as a mailbox hands it over; 8-bit bodies are written as raw bytes.
import { randomUUID } from 'node:crypto';
import iconv from 'iconv-lite';

/** A 1×1 PNG (red) and a 2×1 PNG (blue): real images a browser decodes. */
export const RED_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
export const BLUE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR42mNkYPj/n4GBgQEAAwMBAVvrBnAAAAAASUVORK5CYII=', 'base64');
export const TINY_JPEG = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=', 'base64');
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
export const XLSX = Buffer.from('PK\u0003\u0004 not really a workbook, but named like one');

export interface MailOptions {
  from?: string | null;
  to?: string;
  subject?: string;
  messageId?: string;
  /** Header lines added after the usual ones. */
  headers?: string[];
}

const b64 = (buf: Buffer) => buf.toString('base64').replace(/.{1,76}/g, '$&\r\n').trimEnd();

function head(o: MailOptions, contentType: string, extra: string[] = []): string[] {
  return [
    ...(o.from === null ? [] : [`From: ${o.from ?? 'Ada Lovelace <ada@customer.example>'}`]),
    `To: ${o.to ?? 'support@example.com'}`,
    `Subject: ${o.subject ?? 'Real-world mail'}`,
    `Message-ID: ${o.messageId ?? `<${randomUUID()}@customer.example>`}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    ...(o.headers ?? []),
    `Content-Type: ${contentType}`,
    ...extra,
  ];
}

/** A MIME part: header lines, a blank line, the body. */
function part(headers: string[], body: string): string {
  return [...headers, '', body].join('\r\n');
}

function multipart(type: string, boundary: string, parts: string[]): { contentType: string; body: string } {
  return { contentType: `${type}; boundary="${boundary}"`, body: [...parts.map((p) => `--${boundary}\r\n${p}`), `--${boundary}--`, ''].join('\r\n') };
}

const png = (name: string | null, cid: string | null, content: Buffer, extra: string[] = []) =>
  part([`Content-Type: image/png${name ? `; name="${name}"` : ''}`, 'Content-Transfer-Encoding: base64', ...(cid ? [`Content-ID: <${cid}>`] : []), ...extra], b64(content));

function message(o: MailOptions, body: { contentType: string; body: string }): Buffer {
  return Buffer.from(`${head(o, body.contentType).join('\r\n')}\r\n\r\n${body.body}`);
}

/**
 * Outlook: mixed > related > alternative (text, HTML with two cid images) + the images named
 * image001.png / image002.png with capitalised Content-IDs, and a PDF attached.
 */
export function outlookInlineImages(o: MailOptions = {}): Buffer {
  const cid1 = 'image001.png@01DA2B3C.4D5E6F70';
  const cid2 = 'image002.png@01DA2B3C.4D5E6F70';
  const html = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}</style></head><body lang="EN-GB"><div class="WordSection1">` +
    `<p class="MsoNormal">The printer shows this error:</p><p class="MsoNormal"><img width="120" height="40" id="Picture_x0020_1" src="cid:${cid1}" alt="error"></p>` +
    `<p class="MsoNormal">And the tray:</p><p class="MsoNormal"><img width="64" height="32" src="cid:${cid2.toLowerCase()}"></p></div></body></html>`;
  const alternative = multipart('multipart/alternative', '_000_alt_', [
    part(['Content-Type: text/plain; charset="us-ascii"', 'Content-Transfer-Encoding: quoted-printable'], 'The printer shows this error:\r\n[cid:image001.png@01DA2B3C.4D5E6F70]\r\nAnd the tray:\r\n'),
    part(['Content-Type: text/html; charset="us-ascii"', 'Content-Transfer-Encoding: quoted-printable'], html.replace(/=/g, '=3D').replace(/.{1,70}/g, '$&=\r\n')),
  ]);
  const related = multipart('multipart/related', '_004_rel_', [
    part([`Content-Type: ${alternative.contentType}`], alternative.body),
    png('image001.png', cid1, RED_PNG, ['Content-Description: image001.png', 'Content-Disposition: inline; filename="image001.png"; size=70']),
    png('image002.png', cid2, BLUE_PNG, ['Content-Description: image002.png', 'Content-Disposition: inline; filename="image002.png"; size=75']),
  ]);
  return message({ subject: 'Printer error on the 3rd floor', ...o }, multipart('multipart/mixed', '_005_mixed_', [
    part([`Content-Type: ${related.contentType}; type="multipart/alternative"`], related.body),
    part(['Content-Type: application/pdf; name="Printer report.pdf"', 'Content-Description: Printer report.pdf', 'Content-Disposition: attachment; filename="Printer report.pdf"; size=80', 'Content-Transfer-Encoding: base64'], b64(PDF)),
  ]));
}

/** Apple Mail: alternative > text + related (HTML, image); `Content-Id` spelled its way, an upper-case UUID. */
export function appleMailInlineImage(o: MailOptions = {}): Buffer {
  const cid = 'F2B6C5A0-1D3E-4C5B-9A8F-0123456789AB';
  const related = multipart('multipart/related', 'Apple-Mail=_REL', [
    part(['Content-Transfer-Encoding: 7bit', 'Content-Type: text/html; charset=us-ascii'], `<html><head><meta http-equiv="Content-Type" content="text/html; charset=us-ascii"></head><body style="word-wrap: break-word;"><div>Screenshot below.</div><div><img apple-inline="yes" id="A1" src="cid:${cid}"></div></body></html>`),
    part(['Content-Transfer-Encoding: base64', 'Content-Disposition: inline; filename="Screenshot 2024-05-02 at 10.12.00.png"', 'Content-Type: image/png; x-unix-mode=0644; name="Screenshot 2024-05-02 at 10.12.00.png"', `Content-Id: <${cid}>`], b64(RED_PNG)),
  ]);
  return message({ subject: 'Screenshot from my Mac', ...o }, multipart('multipart/alternative', 'Apple-Mail=_ALT', [
    part(['Content-Transfer-Encoding: 7bit', 'Content-Type: text/plain; charset=us-ascii'], 'Screenshot below.\r\n'),
    part([`Content-Type: ${related.contentType}; type="text/html"`], related.body),
  ]));
}

/** Gmail: related > alternative (text, HTML) + image with Content-ID `<ii_…>` and X-Attachment-Id; the HTML names it in lower case. */
export function gmailInlineImage(o: MailOptions = {}): Buffer {
  const alternative = multipart('multipart/alternative', '000000000000alt', [
    part(['Content-Type: text/plain; charset="UTF-8"'], 'Here is the error:\r\n[image: error.png]\r\n'),
    part(['Content-Type: text/html; charset="UTF-8"'], '<div dir="ltr">Here is the error:<div><img src="cid:ii_LK3XQ0A10" alt="error.png" width="100" height="50"><br></div></div>'),
  ]);
  return message({ subject: 'Error screenshot', ...o }, multipart('multipart/related', '000000000000rel', [
    part([`Content-Type: ${alternative.contentType}`], alternative.body),
    png('error.png', 'ii_lk3xq0a10', RED_PNG, ['Content-Disposition: inline; filename="error.png"', 'X-Attachment-Id: ii_lk3xq0a10']),
  ]));
}

/** Thunderbird-style: the HTML's cid: URL is percent-encoded and the header keeps angle brackets. */
export function percentEncodedCid(o: MailOptions = {}): Buffer {
  const related = multipart('multipart/related', 'tb-rel', [
    part(['Content-Type: text/html; charset=UTF-8'], '<p>See <img src="cid:part1.Ab%2BCd%40Ef@Example.COM" alt=""></p>'),
    png('logo.png', 'part1.Ab+Cd@Ef@example.com', RED_PNG, ['Content-Disposition: inline; filename="logo.png"']),
  ]);
  return message({ subject: 'Percent-encoded cid', ...o }, related);
}

/** HTML-only mail whose HTML sits in multipart/related with an image and no text part. */
export function htmlOnlyRelated(o: MailOptions = {}): Buffer {
  return message({ subject: 'HTML only, related', ...o }, multipart('multipart/related', 'rel-only', [
    part(['Content-Type: text/html; charset=utf-8'], '<html><body><h1>Server down</h1><p>The <b>mail server</b> stopped at 09:00.</p><table><tr><td>Host</td><td>mx1</td></tr><tr><td>Since</td><td>09:00</td></tr></table><p><a href="https://status.example.com/">Status page</a></p><img src="cid:logo@corp"></body></html>'),
    png('logo.png', 'logo@corp', RED_PNG),
  ]));
}

/** multipart/alternative whose text/plain part is empty while the HTML has the text. */
export function alternativeEmptyText(o: MailOptions = {}): Buffer {
  return message({ subject: 'Empty text part', ...o }, multipart('multipart/alternative', 'alt-empty', [
    part(['Content-Type: text/plain; charset=utf-8'], '\r\n'),
    part(['Content-Type: text/html; charset=utf-8'], '<div>Line one<br>Line two</div><p>Please call <a href="tel:+4412345">+44 12345</a>.</p>'),
  ]));
}

/** A PDF marked Content-Disposition: inline that no HTML shows. */
export function inlinePdf(o: MailOptions = {}): Buffer {
  return message({ subject: 'Invoice inline', ...o }, multipart('multipart/mixed', 'mixed-pdf', [
    part(['Content-Type: text/plain; charset=utf-8'], 'The invoice is attached.\r\n'),
    part(['Content-Type: application/pdf; name="invoice-0042.pdf"', 'Content-Disposition: inline; filename="invoice-0042.pdf"', 'Content-Transfer-Encoding: base64'], b64(PDF)),
  ]));
}

/** Parts without names: an image with a Content-ID, one without, a PDF, an unknown type, two files called the same. */
export function namelessParts(o: MailOptions = {}): Buffer {
  return message({ subject: 'Nameless parts', ...o }, multipart('multipart/mixed', 'mixed-nameless', [
    part(['Content-Type: text/plain; charset=utf-8'], 'Files without names.\r\n'),
    png(null, 'image001.png@01DA0000.00000000', RED_PNG, ['Content-Disposition: attachment']),
    part(['Content-Type: image/jpeg', 'Content-Transfer-Encoding: base64'], b64(TINY_JPEG)),
    part(['Content-Type: application/pdf', 'Content-Disposition: attachment', 'Content-Transfer-Encoding: base64'], b64(PDF)),
    part(['Content-Type: application/x-unknown-thing', 'Content-Transfer-Encoding: base64'], b64(Buffer.from('??'))),
    part(['Content-Type: application/pdf; name="scan.pdf"', 'Content-Disposition: attachment; filename="scan.pdf"', 'Content-Transfer-Encoding: base64'], b64(PDF)),
    part(['Content-Type: application/pdf; name="scan.pdf"', 'Content-Disposition: attachment; filename="scan.pdf"', 'Content-Transfer-Encoding: base64'], b64(Buffer.concat([PDF, Buffer.from('%2')]))),
  ]));
}

/** A forwarded mail attached as message/rfc822, without a file name, and one shown inline. */
export function attachedEmail(o: MailOptions = {}): Buffer {
  const inner = [
    'From: Bob <bob@customer.example>', 'To: ada@customer.example', 'Subject: =?UTF-8?Q?Drucker_im_3._Stock_/_f=C3=A4llt_aus?=',
    'Date: Mon, 6 May 2024 09:00:00 +0000', 'Message-ID: <inner@customer.example>', 'Content-Type: text/plain; charset=utf-8', '', 'The printer on the 3rd floor is down again.', '',
  ].join('\r\n');
  const second = ['From: carol@customer.example', 'Subject: Second report', 'Content-Type: text/plain', '', 'Also broken here.', ''].join('\r\n');
  return message({ subject: 'Fwd: printer', ...o }, multipart('multipart/mixed', 'mixed-rfc822', [
    part(['Content-Type: text/plain; charset=utf-8'], 'See the forwarded mail.\r\n'),
    part(['Content-Type: message/rfc822', 'Content-Disposition: attachment'], inner),
    part(['Content-Type: message/rfc822'], second),
  ]));
}

/** GBK bytes (subject and body) with no charset label anywhere. */
export const GBK_SUBJECT = '打印机无法连接网络';
export const GBK_BODY = '您好，三楼的打印机从今天早上开始无法连接网络，请尽快处理。谢谢！';
export function unlabelledGbk(o: MailOptions = {}): Buffer {
  const rest = o;
  return Buffer.concat([
    Buffer.from([...head({ ...rest, subject: '' }, 'text/plain', ['Content-Transfer-Encoding: 8bit'])].join('\r\n').replace(/Subject: \r\n/, '')),
    Buffer.from('\r\nSubject: '), iconv.encode(GBK_SUBJECT, 'gbk'), Buffer.from('\r\n\r\n'), iconv.encode(GBK_BODY, 'gbk'), Buffer.from('\r\n'),
  ]);
}

/** Shift_JIS bytes labelled ISO-2022-JP, in the body and in an encoded-word subject. */
export const SJIS_SUBJECT = 'プリンターが動きません';
export const SJIS_BODY = 'お世話になっております。三階のプリンターが今朝から動きません。至急ご確認ください。よろしくお願いいたします。';
export function mislabelledShiftJis(o: MailOptions = {}): Buffer {
  const rest = o;
  const subject = `=?ISO-2022-JP?B?${iconv.encode(SJIS_SUBJECT, 'shift_jis').toString('base64')}?=`;
  return Buffer.concat([
    Buffer.from(head({ ...rest, subject }, 'text/plain; charset=ISO-2022-JP', ['Content-Transfer-Encoding: 8bit']).join('\r\n')),
    Buffer.from('\r\n\r\n'), iconv.encode(SJIS_BODY, 'shift_jis'), Buffer.from('\r\n'),
  ]);
}

/** ISO-8859-1 bytes with no label: an 8-bit subject and body. */
export const LATIN1_SUBJECT = 'Problème avec l’imprimante';
export const LATIN1_BODY = 'Bonjour, l\'imprimante du 3e étage ne répond plus depuis ce matin. Merci de vérifier. Grüße, François';
export function unlabelledLatin1(o: MailOptions = {}): Buffer {
  return Buffer.concat([
    Buffer.from(head({ ...o, subject: '' }, 'text/plain', ['Content-Transfer-Encoding: 8bit']).join('\r\n').replace(/Subject: \r\n/, '')),
    Buffer.from('\r\nSubject: '), Buffer.from(LATIN1_SUBJECT.replace('’', "'"), 'latin1'), Buffer.from('\r\n\r\n'), Buffer.from(LATIN1_BODY, 'latin1'), Buffer.from('\r\n'),
  ]);
}

/** Two From headers: the first has only a display name, the second the address. */
export function twoFromHeaders(o: MailOptions = {}): Buffer {
  return message({ subject: 'Two From headers', ...o, from: 'Helpdesk Portal', headers: ['From: Dan <dan@customer.example>', ...(o.headers ?? [])] }, {
    contentType: 'text/plain; charset=utf-8', body: 'Sent from the portal.\r\n',
  });
}

/** No From at all, only Reply-To (or Sender). */
export function noFromWithReplyTo(o: MailOptions & { via?: 'Reply-To' | 'Sender' } = {}): Buffer {
  const { via = 'Reply-To', ...rest } = o;
  return message({ subject: `No From, ${via} only`, ...rest, from: null, headers: [`${via}: Erin <erin@customer.example>`, ...(rest.headers ?? [])] }, {
    contentType: 'text/plain; charset=utf-8', body: 'Please help.\r\n',
  });
}

/** Apple Mail around attachments: mixed > text, HTML, PDF (inline), text, HTML — every part in order. */
export function mixedTextHtml(o: MailOptions = {}): Buffer {
  return message({ subject: 'Parts around an attachment', ...o }, multipart('multipart/mixed', 'Apple-Mail=_MIX', [
    part(['Content-Type: text/plain; charset=utf-8'], 'Part one (text).'),
    part(['Content-Type: text/html; charset=utf-8'], '<html><body><p>Part <b>two</b> (HTML).</p></body></html>'),
    part(['Content-Disposition: inline; filename="report.pdf"', 'Content-Type: application/pdf; name="report.pdf"', 'Content-Transfer-Encoding: base64'], b64(PDF)),
    part(['Content-Type: text/plain; charset=utf-8'], 'Part three (text) <not a tag>.'),
    part(['Content-Type: text/html; charset=utf-8'], '<html><body><p>Part <i>four</i> (HTML).</p></body></html>'),
  ]));
}

/** A banner with white text on a coloured background, a background image behind white text, and a remote tracking image. */
export function colouredBanner(o: MailOptions = {}): Buffer {
  const html = '<table width="100%"><tr><td style="background:#1a73e8 url(https://cdn.example.com/bg.png) no-repeat;padding:8px"><span style="color:#ffffff">Your ticket is important</span></td></tr>' +
    '<tr><td bgcolor="#202124"><font color="#fff">Dark row</font></td></tr>' +
    '<tr><td style="background-image:url(https://cdn.example.com/hero.jpg)"><p style="color:white">White on a dropped image</p></td></tr></table>' +
    '<p><img src="https://tracker.example.com/open.gif?u=42" width="1200" height="600" alt=""></p>';
  return message({ subject: 'Newsletter-like banner', ...o }, multipart('multipart/alternative', 'alt-banner', [
    part(['Content-Type: text/plain; charset=utf-8'], 'Your ticket is important\r\n'),
    part(['Content-Type: text/html; charset=utf-8'], html),
  ]));
}

/** An Excel workbook with Office's long MIME type. */
export function excelAttachment(o: MailOptions = {}): Buffer {
  return message({ subject: 'Budget sheet', ...o }, multipart('multipart/mixed', 'mixed-xlsx', [
    part(['Content-Type: text/plain; charset=utf-8'], 'Budget attached.\r\n'),
    part(['Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="Budget 2024 – Q3 forecast (final, reviewed by finance).xlsx"', 'Content-Disposition: attachment; filename="Budget 2024 – Q3 forecast (final, reviewed by finance).xlsx"', 'Content-Transfer-Encoding: base64'], b64(XLSX)),
  ]));
}
