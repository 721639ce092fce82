import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { asc, eq, inArray } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.js';
import { attachments } from '../db/schema.js';
import type { Logger } from '../lib/logger.js';
import { formatBytes } from './limits.js';
import { genericName } from './mime/names.js';
import type { ParsedMessage } from './parse.js';

export type AttachmentRow = typeof attachments.$inferSelect;
/** A part to store; a missing name gets one from the type. */
type IncomingAttachment = Omit<ParsedMessage['attachments'][number], 'filename'> & { filename: string | null };

/** A file written to disk whose row is not inserted yet. `id` is fixed now so cid links can name it. */
export interface StoredFile {
  id: string;
  filename: string | null;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
  storageKey: string;
}

export interface SkippedAttachment { filename: string | null; size: number; reason: string }

export interface PutResult {
  files: StoredFile[];
  skipped: SkippedAttachment[];
  /** One line for the audit/ticket, e.g. "1 attachment not stored: big.iso (30.0 MB) is over the 20.0 MB limit"; null when all were stored. */
  note: string | null;
}

const STORAGE_KEY = /^[0-9a-f]{32}$/;
const ORPHAN_AGE_MS = 24 * 3_600_000;

/** A name safe to show and to offer in Content-Disposition: no directories, no control characters, bounded. */
export function sanitizeFilename(name: string | null | undefined): string | null {
  if (!name) return null;
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/^[\s.]+|\s+$/g, '')
    .slice(0, 200);
  return clean || null;
}

/** `type/subtype` lower-cased, or application/octet-stream when it is not one. */
export function normalizeContentType(type: string | null | undefined): string {
  const base = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(base) ? base : 'application/octet-stream';
}

/**
 * Attachment content on disk at `<dataDir>/attachments/<2-char prefix>/<random key>`. The
 * sender's file name never touches the file system; it is only a column, shown and offered on
 * download. Files are written before their rows are committed; `sweepOrphans` removes files
 * whose transaction never committed.
 */
export class AttachmentStore {
  readonly root: string;

  constructor(dataDir: string, private readonly db: Db, private readonly logger?: Logger) {
    this.root = path.join(dataDir, 'attachments');
  }

  pathOf(storageKey: string): string {
    if (!STORAGE_KEY.test(storageKey)) throw new Error('invalid storage key');
    return path.join(this.root, storageKey.slice(0, 2), storageKey);
  }

  /** Writes every attachment up to `maxBytes`; the larger ones are skipped and named in `note`. */
  async put(items: readonly IncomingAttachment[], maxBytes: number): Promise<PutResult> {
    const files: StoredFile[] = [];
    const skipped: SkippedAttachment[] = [];
    try {
      for (const item of items) {
        const filename = sanitizeFilename(item.filename) ?? genericName(normalizeContentType(item.contentType));
        const size = item.content.length;
        if (size > maxBytes) {
          skipped.push({ filename, size, reason: `over the ${formatBytes(maxBytes)} limit` });
          continue;
        }
        const storageKey = randomBytes(16).toString('hex');
        const file = this.pathOf(storageKey);
        await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(file, item.content, { flag: 'wx', mode: 0o600 });
        files.push({
          id: randomUUID(),
          filename,
          contentType: normalizeContentType(item.contentType),
          size,
          contentId: item.contentId ? item.contentId.trim().slice(0, 500) : null,
          inline: item.inline,
          storageKey,
        });
      }
    } catch (err) {
      await this.discard(files);
      throw err;
    }
    const note = skipped.length
      ? `${skipped.length} attachment${skipped.length > 1 ? 's' : ''} not stored: ${skipped.map((s) => `${s.filename ?? '(unnamed)'} (${formatBytes(s.size)}) is ${s.reason}`).join('; ')}`
      : null;
    return { files, skipped, note };
  }

  /** Values for `attachments`, to insert in the ingest transaction. */
  rows(files: readonly StoredFile[], owner: { messageRowId: string; ticketId: string | null }): (typeof attachments.$inferInsert)[] {
    return files.map((f) => ({ ...f, messageRowId: owner.messageRowId, ticketId: owner.ticketId }));
  }

  /** Inserts the rows of `put`'s files inside the ingest transaction; nothing to do without files. */
  async insert(q: Queryable, files: readonly StoredFile[], owner: { messageRowId: string; ticketId: string | null }): Promise<void> {
    if (files.length) await q.insert(attachments).values(this.rows(files, owner));
  }

  /** Removes files whose rows will not be written (the transaction failed). */
  async discard(files: readonly Pick<StoredFile, 'storageKey'>[]): Promise<void> {
    await Promise.all(files.map((f) => rm(this.pathOf(f.storageKey), { force: true }).catch(() => undefined)));
  }

  async read(storageKey: string): Promise<Buffer | null> {
    if (!STORAGE_KEY.test(storageKey)) return null;
    try {
      return await readFile(this.pathOf(storageKey));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** A stream of the content, or null when the file is missing. */
  async open(storageKey: string): Promise<{ stream: ReadStream; size: number } | null> {
    if (!STORAGE_KEY.test(storageKey)) return null;
    const file = this.pathOf(storageKey);
    try {
      const { size } = await stat(file);
      return { stream: createReadStream(file), size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async get(id: string): Promise<AttachmentRow | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    const [row] = await this.db.select().from(attachments).where(eq(attachments.id, id));
    return row;
  }

  forTicket(ticketId: string): Promise<AttachmentRow[]> {
    return this.db.select().from(attachments).where(eq(attachments.ticketId, ticketId)).orderBy(asc(attachments.createdAt), asc(attachments.filename));
  }

  forMessage(messageRowId: string): Promise<AttachmentRow[]> {
    return this.db.select().from(attachments).where(eq(attachments.messageRowId, messageRowId)).orderBy(asc(attachments.createdAt), asc(attachments.filename));
  }

  /**
   * Deletes files older than `olderThanMs` that no row names: written for a transaction that
   * then failed, or left behind when a message row was deleted. Young files are left alone — their
   * transaction may still be running.
   */
  async sweepOrphans(olderThanMs = ORPHAN_AGE_MS, now = Date.now()): Promise<number> {
    let prefixes: string[];
    try {
      prefixes = await readdir(this.root);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const prefix of prefixes) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      const names = (await readdir(path.join(this.root, prefix)).catch(() => [] as string[])).filter((n) => STORAGE_KEY.test(n) && n.startsWith(prefix));
      const old: string[] = [];
      for (const name of names) {
        const info = await stat(path.join(this.root, prefix, name)).catch(() => null);
        if (info && now - info.mtimeMs > olderThanMs) old.push(name);
      }
      for (let i = 0; i < old.length; i += 500) {
        const chunk = old.slice(i, i + 500);
        const known = new Set((await this.db.select({ key: attachments.storageKey }).from(attachments).where(inArray(attachments.storageKey, chunk))).map((r) => r.key));
        for (const name of chunk) {
          if (known.has(name)) continue;
          await rm(path.join(this.root, prefix, name), { force: true });
          removed++;
        }
      }
    }
    if (removed) this.logger?.info({ removed }, 'removed orphaned attachment files');
    return removed;
  }
}

export const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * Types a browser may get as they are. Everything else goes out as application/octet-stream:
 * HTML, SVG, XML, scripts and anything unknown must never be rendered from our origin.
 */
const PASSIVE_TYPES = new Set([
  ...INLINE_IMAGE_TYPES, 'image/bmp', 'image/tiff', 'image/heic', 'image/avif',
  'text/plain', 'text/csv', 'text/calendar', 'application/pdf', 'application/zip', 'application/gzip', 'application/x-7z-compressed',
  'application/x-zip-compressed', 'application/x-rar-compressed', 'application/vnd.rar', 'application/msword', 'application/rtf',
  'application/vnd.ms-excel', 'application/vnd.ms-powerpoint', 'application/vnd.ms-outlook', 'message/rfc822',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet', 'application/vnd.oasis.opendocument.presentation',
]);

export function servedContentType(stored: string): string {
  const type = normalizeContentType(stored);
  if (PASSIVE_TYPES.has(type)) return type === 'text/plain' || type === 'text/csv' || type === 'text/calendar' ? `${type}; charset=utf-8` : type;
  if (/^(audio|video)\/[a-z0-9.+-]+$/.test(type) && !/xml|svg|html/.test(type)) return type;
  return 'application/octet-stream';
}

/** A stored part's name, or one made from its type for rows stored before every part got one. */
export function displayName(row: Pick<AttachmentRow, 'filename' | 'contentType'>): string {
  return sanitizeFilename(row.filename) ?? genericName(normalizeContentType(row.contentType));
}

/** `attachment; filename="ascii"; filename*=UTF-8''pct-encoded` (RFC 6266 / 5987). */
export function contentDisposition(kind: 'attachment' | 'inline', filename: string | null, contentType = 'application/octet-stream'): string {
  const name = displayName({ filename, contentType });
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function attachmentUrl(id: string, inline = false): string {
  return `/api/attachments/${id}${inline ? '?inline=1' : ''}`;
}
