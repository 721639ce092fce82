import libmime from 'libmime';

/** Extensions people expect where libmime's table names the type otherwise. */
const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/pjpeg': 'jpg', 'text/plain': 'txt', 'message/delivery-status': 'txt', 'message/disposition-notification': 'txt', 'text/rfc822-headers': 'txt' };

export function extensionFor(contentType: string): string {
  const type = contentType.toLowerCase();
  return EXTENSIONS[type] ?? libmime.detectExtension(type) ?? 'bin';
}

/** The decoded Subject of an attached message (its own header block only). */
export function attachedSubject(content: Buffer): string | null {
  const end = content.indexOf('\r\n\r\n') >= 0 ? content.indexOf('\r\n\r\n') : content.indexOf('\n\n');
  const head = content.subarray(0, end >= 0 ? Math.min(end, 64 * 1024) : Math.min(content.length, 64 * 1024)).toString('utf8');
  const m = /^subject:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head);
  if (!m) return null;
  let subject = m[1]!.replace(/\r?\n[ \t]/g, ' ').trim();
  try {
    subject = libmime.decodeWords(subject);
  } catch {
    // An unknown charset in an encoded word: the subject stays as written.
  }
  return subject.trim() || null;
}

/** A file name's stem made of free text (a subject): what file systems refuse becomes a space, at most 150 characters. */
export function fileStem(text: string): string {
  return text.replace(/[\\/:*?"<>|\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 150);
}

/**
 * A name for every part: its own; for an attached mail, its subject + `.eml`; else the
 * Content-ID's local part when it looks like a file name (Outlook's `image001.png@01D…`);
 * else `image.<ext>` for images and `file.<ext>` for the rest. Never a bare "attachment".
 */
export function partName(part: { filename: string | null; contentType: string; contentId: string | null; content: Buffer }): string {
  const type = part.contentType.toLowerCase();
  if (part.filename?.trim()) return part.filename.trim();
  if (type === 'message/rfc822' || type === 'message/global') {
    return `${fileStem(attachedSubject(part.content) ?? '') || 'Attached message'}.eml`;
  }
  const local = part.contentId?.trim().replace(/^<|>$/g, '').split('@')[0]?.trim();
  if (local && /^[\w.-]{1,100}\.[a-z0-9]{2,5}$/i.test(local)) return local;
  return genericName(type);
}

/** `image.png`, `file.pdf`: the name of a part that has nothing better. */
export function genericName(contentType: string): string {
  const type = contentType.toLowerCase();
  return `${type.startsWith('image/') ? 'image' : 'file'}.${extensionFor(type)}`;
}
