import { attachmentUrl, type StoredFile } from './attachments.js';

/**
 * `<part1@x>`, `part1@x` and `cid:part1%40x` alike, compared without regard to case: Outlook
 * and Apple Mail write `<image001.png@01D2…>` in the header and may spell it otherwise in the
 * HTML, and cid: URLs are percent-encoded (RFC 2392).
 */
export function normalizeContentId(cid: string | null | undefined): string | null {
  if (!cid) return null;
  let v = cid.trim().replace(/^cid:/i, '');
  try {
    v = decodeURIComponent(v);
  } catch {
    // Not percent-encoded after all; compare it as it is.
  }
  v = v.replace(/^<+/, '').replace(/>+$/, '').trim().toLowerCase();
  return v || null;
}

/** Content-ID (normalized) → attachment id; the first part wins when two share one. */
export function cidMap(files: readonly Pick<StoredFile, 'id' | 'contentId'>[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const f of files) {
    const cid = normalizeContentId(f.contentId);
    if (cid && !map.has(cid)) map.set(cid, f.id);
  }
  return map;
}

const CID_IMG = /(<img\b[^>]*?\ssrc=")cid:([^"]*)(")/gi;

function rewrite(html: string, lookup: ReadonlyMap<string, string>, used: Set<string>): string {
  return html.replace(CID_IMG, (whole, before: string, cid: string, after: string) => {
    const key = normalizeContentId(cid.replace(/&amp;/g, '&'));
    const id = key ? lookup.get(key) : undefined;
    if (!id) return whole;
    used.add(id);
    return `${before}${attachmentUrl(id, true)}${after}`;
  });
}

/**
 * Points `<img src="cid:…">` of sanitized HTML at our download route. The sanitizer writes
 * attributes with double quotes; a cid without a stored attachment is left as it is (it shows nothing).
 */
export function rewriteCidImages(html: string, attachmentsByCid: ReadonlyMap<string, string> | Record<string, string>): string {
  const lookup = attachmentsByCid instanceof Map
    ? attachmentsByCid
    : new Map(Object.entries(attachmentsByCid).map(([k, v]) => [normalizeContentId(k) ?? k, v]));
  return rewrite(html, lookup, new Set());
}

/**
 * The HTML with its cid: images pointing at the stored parts, and the parts with `inline` set
 * for exactly those the HTML shows: everything else (an "inline" PDF, an image nothing refers
 * to) is listed as an attachment, so nothing stored is out of reach.
 */
export function showInlineImages<F extends Pick<StoredFile, 'id' | 'contentId' | 'inline'>>(html: string | null, files: readonly F[]): { html: string | null; files: F[] } {
  const used = new Set<string>();
  const out = html ? rewrite(html, cidMap(files), used) : null;
  return { html: out, files: files.map((f) => ({ ...f, inline: used.has(f.id) })) };
}
