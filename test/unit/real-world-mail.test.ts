// Issue 12, one class of real-world mail per block, from the hand-made messages of
// test/testkit/real-world-mail.ts: parse → sanitize → the inline-image step the ingest runs.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { showInlineImages } from '../../server/src/ingest/inline-images.ts';
import { decodesCleanly, detectCharset, repairCharsets } from '../../server/src/ingest/mime/charsets.ts';
import { parseMessage, type ParsedMessage } from '../../server/src/ingest/parse.ts';
import { UNKNOWN_SENDER, unreadableMessage } from '../../server/src/ingest/mime/fallback.ts';
import { headerSummary } from '../../server/src/ingest/mime/summary.ts';
import { sanitizeMailHtml } from '../../server/src/ingest/sanitize.ts';
import { refusedAddressReason } from '../../server/src/mail/address-guard.ts';
import { describeResult } from '../../server/src/modules/quarantine/quarantine.service.ts';
import { remoteImageUrls } from '../../server/src/modules/remote-images/remote-image.service.ts';
import * as mail from '../testkit/real-world-mail.ts';

/** What the ingest does with a parsed message's parts: ids for the stored files, then the cid rewrite. */
function shown(msg: ParsedMessage) {
  const files = msg.attachments.map((a, i) => ({ id: `file-${i}`, filename: a.filename, contentId: a.contentId, inline: a.inline }));
  return showInlineImages(msg.html ? sanitizeMailHtml(msg.html) : null, files);
}

describe('1. inline images whatever the case of their Content-ID', () => {
  it('Outlook: both images shown (one referenced in another case), the PDF listed', async () => {
    const { html, files } = shown(await parseMessage(mail.outlookInlineImages()));
    expect(html).not.toContain('cid:');
    expect(html).toContain('src="/api/attachments/file-0?inline=1"');
    expect(html).toContain('src="/api/attachments/file-1?inline=1"');
    expect(files.map((f) => [f.filename, f.inline])).toEqual([['image001.png', true], ['image002.png', true], ['Printer report.pdf', false]]);
  });

  it('Apple Mail: a `Content-Id` header and an upper-case UUID', async () => {
    const { html, files } = shown(await parseMessage(mail.appleMailInlineImage()));
    expect(html).toBe('<div><div>Screenshot below.</div><div><img src="/api/attachments/file-0?inline=1" /></div></div>');
    expect(files[0]).toMatchObject({ filename: 'Screenshot 2024-05-02 at 10.12.00.png', inline: true });
  });

  it('Gmail: ii_ Content-IDs referenced in another case', async () => {
    const { html, files } = shown(await parseMessage(mail.gmailInlineImage()));
    expect(html).toContain('src="/api/attachments/file-0?inline=1"');
    expect(files[0]!.inline).toBe(true);
  });

  it('a percent-encoded cid: URL against a Content-ID in angle brackets', async () => {
    const { html, files } = shown(await parseMessage(mail.percentEncodedCid()));
    expect(html).toBe('<p>See <img src="/api/attachments/file-0?inline=1" alt="" /></p>');
    expect(files[0]!.inline).toBe(true);
  });
});

describe('2. HTML-only mail gets a description from its HTML', () => {
  it('HTML inside multipart/related, no text part: line breaks, links as text, tables by row', async () => {
    const msg = await parseMessage(mail.htmlOnlyRelated());
    expect(msg.text).toBe('Server down\n\nThe mail server stopped at 09:00.\n\nHost    mx1\nSince   09:00\n\nStatus page [https://status.example.com/]');
  });

  it('multipart/alternative with an empty text part', async () => {
    const msg = await parseMessage(mail.alternativeEmptyText());
    expect(msg.text).toBe('Line one\nLine two\n\nPlease call +44 12345 [tel:+4412345].');
  });

  it('keeps a text part that has the text', async () => {
    expect((await parseMessage(mail.gmailInlineImage())).text).toBe('Here is the error:\n[image: error.png]');
  });
});

describe('3. every stored part the HTML does not show is listed', () => {
  it('a PDF marked inline is an attachment', async () => {
    const msg = await parseMessage(mail.inlinePdf());
    expect(msg.attachments[0]).toMatchObject({ filename: 'invoice-0042.pdf', contentType: 'application/pdf', inline: true });
    expect(shown(msg).files[0]!.inline).toBe(false);
  });

  it('an image in multipart/related that the HTML never names is listed too', async () => {
    const msg = await parseMessage(mail.htmlOnlyRelated());
    const { files } = showInlineImages('<p>no image here</p>', msg.attachments.map((a, i) => ({ id: `f${i}`, contentId: a.contentId, inline: a.inline })));
    expect(files[0]!.inline).toBe(false);
  });
});

describe('4. names', () => {
  it('nameless parts are named from the Content-ID or the type; two of the same name stay two', async () => {
    const msg = await parseMessage(mail.namelessParts());
    expect(msg.attachments.map((a) => a.filename)).toEqual(['image001.png', 'image.jpg', 'file.pdf', 'file.bin', 'scan.pdf', 'scan.pdf']);
    expect(new Set(msg.attachments.filter((a) => a.filename === 'scan.pdf').map((a) => a.size)).size).toBe(2);
  });

  it('attached mails are named after their subject, with .eml', async () => {
    const msg = await parseMessage(mail.attachedEmail());
    expect(msg.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['Drucker im 3. Stock fällt aus.eml', 'message/rfc822'],
      ['Second report.eml', 'message/rfc822'],
    ]);
  });
});

describe('5. charsets', () => {
  it('unlabelled GBK subject and body', async () => {
    const msg = await parseMessage(mail.unlabelledGbk());
    expect(msg.subject).toBe(mail.GBK_SUBJECT);
    expect(msg.text).toBe(mail.GBK_BODY);
  });

  it('Shift_JIS bytes labelled ISO-2022-JP, in the body and in an encoded word', async () => {
    const msg = await parseMessage(mail.mislabelledShiftJis());
    expect(msg.subject).toBe(mail.SJIS_SUBJECT);
    expect(msg.text).toBe(mail.SJIS_BODY);
  });

  it('unlabelled Latin-1', async () => {
    const msg = await parseMessage(mail.unlabelledLatin1());
    expect(msg.subject).toBe("Problème avec l'imprimante");
    expect(msg.text).toBe(mail.LATIN1_BODY);
  });

  it('keeps a declared charset that decodes cleanly, and rewrites nothing when all is well', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: a@customer.example\r\nSubject: =?ISO-8859-2?Q?=B9koda?=\r\nContent-Type: text/plain; charset=ISO-8859-2\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
      iconv.encode('Škoda, Łódź, żółć', 'iso-8859-2'),
    ]);
    expect(decodesCleanly(iconv.encode('Škoda, Łódź', 'iso-8859-2'), 'ISO-8859-2')).toBe(true);
    expect(await repairCharsets(raw)).toBeNull();
    const msg = await parseMessage(raw);
    expect(msg.subject).toBe('škoda');
    expect(msg.text).toBe('Škoda, Łódź, żółć');
    expect(await repairCharsets(mail.outlookInlineImages())).toBeNull();
  });

  it('stays linear on hostile headers: a wrong encoded word followed by a long blank run', async () => {
    const raw = Buffer.from(`From: a@customer.example\r\nSubject: =?utf-8?B?/w==?=${' '.repeat(300_000)}x\r\n\r\nbody\r\n`);
    const fixed = await repairCharsets(raw);
    expect(fixed!.toString()).toContain('Subject: =?UTF-8?B?');
  });

  it('judges labels by what the bytes decode to', () => {
    expect(decodesCleanly(iconv.encode('プリンター', 'shift_jis'), 'iso-2022-jp')).toBe(false);
    expect(decodesCleanly(Buffer.from('caf\xe9', 'latin1'), null)).toBe(false);
    expect(decodesCleanly(Buffer.from('smart \x93quotes\x94', 'latin1'), 'iso-8859-1')).toBe(false);
    expect(detectCharset(Buffer.from('smart \x93quotes\x94 and caf\xe9', 'latin1'))).toBe('windows-1252');
    expect(detectCharset(Buffer.from('café'))).toBe('utf-8');
  });
});

describe('6. sender', () => {
  it('takes the first From header that has an address, and says so', async () => {
    const msg = await parseMessage(mail.twoFromHeaders());
    expect(msg.from).toEqual({ address: 'dan@customer.example', name: 'Dan' });
    expect(msg.senderNote).toBe('sender from the second From header (the first has no address)');
  });

  it('uses Reply-To, or Sender, when there is no From', async () => {
    const viaReplyTo = await parseMessage(mail.noFromWithReplyTo());
    expect(viaReplyTo.from).toEqual({ address: 'erin@customer.example', name: 'Erin' });
    expect(viaReplyTo.senderNote).toBe('sender from Reply-To: the message has no From header');
    const viaSender = await parseMessage(mail.noFromWithReplyTo({ via: 'Sender' }));
    expect(viaSender.from?.address).toBe('erin@customer.example');
    expect(viaSender.senderNote).toBe('sender from Sender: the message has no From header');
  });

  it('a plain From is taken as it is, without a note', async () => {
    const msg = await parseMessage(mail.outlookInlineImages());
    expect(msg.from).toEqual({ address: 'ada@customer.example', name: 'Ada Lovelace' });
    expect(msg.senderNote).toBeNull();
  });
});

describe('7. text and HTML parts around an attachment', () => {
  it('renders every part in order in the HTML, and the description has all of them', async () => {
    const msg = await parseMessage(mail.mixedTextHtml());
    const html = sanitizeMailHtml(msg.html!);
    const order = ['Part one (text).', 'Part <b>two</b> (HTML).', 'Part three (text) &lt;not a tag&gt;.', 'Part <i>four</i> (HTML).'].map((s) => html.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(msg.text).toBe('Part one (text).\nPart two (HTML).\nPart three (text) <not a tag>.\nPart four (HTML).');
    expect(shown(msg).files[0]).toMatchObject({ filename: 'report.pdf', inline: false });
  });
});

describe('8. sanitized HTML keeps its words visible', () => {
  it('keeps background colours (shorthand, bgcolor, the body\'s) and drops background images', async () => {
    const html = sanitizeMailHtml((await parseMessage(mail.colouredBanner())).html!);
    expect(html).toContain('<td style="background-color:#1a73e8;padding:8px"><span style="color:#ffffff">Your ticket is important</span></td>');
    expect(html).toContain('<td style="background-color:#202124"><font color="#fff">Dark row</font></td>');
    expect(html).not.toMatch(/url\(|background-image|cdn\.example\.com/);
    const body = sanitizeMailHtml('<body bgcolor="#111" text="#eee"><p>dark newsletter</p></body>');
    expect(body).toBe('<div style="color:#eee;background-color:#111"><p>dark newsletter</p></div>');
  });

  it('drops a text colour that would vanish on its background, keeps readable ones', async () => {
    const html = sanitizeMailHtml((await parseMessage(mail.colouredBanner())).html!);
    expect(html).toContain('<p>White on a dropped image</p>');
    expect(sanitizeMailHtml('<p style="color:#fefefe">pale</p><p style="color:#999">grey</p><font color="white">font</font>')).toBe('<p>pale</p><p style="color:#999">grey</p><font>font</font>');
    expect(sanitizeMailHtml('<div style="background:#222"><span style="color:#111">dark on dark</span><span style="color:#fff">light</span></div>'))
      .toBe('<div style="background-color:#222"><span>dark on dark</span><span style="color:#fff">light</span></div>');
  });

  it('moves remote images aside for the proxy, in order, and keeps links safe', async () => {
    const html = sanitizeMailHtml('<img src="https://tracker.example.com/open.gif?u=42&x=1" width="1200"><img src="http://cdn.example/b.png"><a href="https://x.example/">x</a>');
    expect(html).not.toMatch(/\ssrc="http/);
    expect(remoteImageUrls(html)).toEqual(['https://tracker.example.com/open.gif?u=42&x=1', 'http://cdn.example/b.png']);
    expect(html).toContain('rel="noopener noreferrer nofollow"');
    expect(remoteImageUrls(null)).toEqual([]);
  });

  it('the proxy\'s address guard refuses private and reserved ranges, not only metadata', () => {
    const guard = { allowLoopback: false, publicOnly: true };
    for (const ip of ['10.0.0.5', '192.168.1.1', '172.16.0.1', '100.64.0.1', 'fc00::1', '169.254.169.254', '127.0.0.1', '::ffff:10.0.0.1']) expect(refusedAddressReason(ip, guard), ip).not.toBeNull();
    for (const ip of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']) expect(refusedAddressReason(ip, guard), ip).toBeNull();
    expect(refusedAddressReason('10.0.0.5', { allowLoopback: false })).toBeNull(); // mail servers may live on-premises
    expect(refusedAddressReason('127.0.0.1', { allowLoopback: true, publicOnly: true })).toBeNull();
  });
});

describe('9. quarantine', () => {
  it('reads subject, sender and Message-ID from the raw headers alone', () => {
    const raw = Buffer.from('Subject: =?UTF-8?Q?Drucker_f=C3=A4llt_aus?=\r\nFrom: Help\r\nFrom: Bob <Bob@Customer.example>\r\nMessage-ID: <x@y>\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\nbroken');
    expect(headerSummary(raw)).toEqual({ subject: 'Drucker fällt aus', from: { address: 'bob@customer.example', name: 'Bob' }, messageId: '<x@y>' });
    expect(headerSummary(Buffer.from('no headers at all'))).toEqual({ subject: null, from: null, messageId: null });
  });

  it('a released unreadable message keeps its original as an .eml and names the problem', () => {
    const raw = Buffer.from('Subject: Broken one\r\nFrom: carol@customer.example\r\n\r\nbody');
    const msg = unreadableMessage(raw, 'parsing took longer than 15 s');
    expect(msg).toMatchObject({ subject: 'Broken one', from: { address: 'carol@customer.example' }, text: 'This message could not be read (parsing took longer than 15 s). The original message is attached.' });
    expect(msg.attachments).toEqual([expect.objectContaining({ filename: 'Broken one.eml', contentType: 'message/rfc822', content: raw })]);
    expect(UNKNOWN_SENDER.address).toMatch(/@invalid$/); // RFC 2606: never delivered
  });

  it('says what Reprocess and Release did', () => {
    expect(describeResult({ outcome: 'TICKET_CREATED', reason: 'created REQ-12: released by an admin', ticketId: 't' })).toBe('Created REQ-12: released by an admin.');
    expect(describeResult({ outcome: 'QUARANTINED', reason: 'no sender address (From) in the message', ticketId: null })).toBe('Still held: no sender address (From) in the message.');
    expect(describeResult({ outcome: 'FILTERED', reason: 'sender domain spam.example is ignored', ticketId: null })).toBe('Not a request: filtered out: sender domain spam.example is ignored.');
  });
});
