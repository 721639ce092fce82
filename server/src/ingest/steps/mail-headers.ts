import type { Address, ParsedMessage } from '../parse.js';

/**
 * Reading mailparser's header map. It lower-cases names, keeps repeated headers as arrays, and
 * turns some headers into objects: addresses `{ value, text }`, Content-Type `{ value, params }`,
 * Date a `Date`, every `List-*` header folded into one `list` object.
 */
export function headerValues(msg: Pick<ParsedMessage, 'headers'>, name: string): string[] {
  const raw = msg.headers.get(name.toLowerCase());
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return list.map(asText).map((v) => v.trim());
}

export function header(msg: Pick<ParsedMessage, 'headers'>, name: string): string | null {
  return headerValues(msg, name)[0] ?? null;
}

/** Addresses of an address header, including empty ones (`Return-Path: <>` gives one with address ''). */
export function headerAddresses(msg: Pick<ParsedMessage, 'headers'>, name: string): Address[] {
  const raw = msg.headers.get(name.toLowerCase());
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const out: Address[] = [];
  for (const item of list) {
    const value = (item as { value?: unknown }).value;
    if (!Array.isArray(value)) continue;
    for (const a of value as { address?: string; name?: string; group?: { address?: string; name?: string }[] }[]) {
      for (const m of a.group ?? [a]) out.push({ address: (m.address ?? '').trim().toLowerCase(), name: m.name?.trim() || null });
    }
  }
  return out;
}

/** The MIME type of the top-level part, lower-cased, and its parameters. */
export function contentType(msg: Pick<ParsedMessage, 'headers'>): { type: string; params: Record<string, string> } {
  const raw = msg.headers.get('content-type') as { value?: unknown; params?: Record<string, string> } | string | undefined;
  if (!raw) return { type: 'text/plain', params: {} };
  if (typeof raw === 'string') return { type: raw.split(';')[0]!.trim().toLowerCase(), params: {} };
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.params ?? {})) params[k.toLowerCase()] = String(v).toLowerCase();
  return { type: String(raw.value ?? '').trim().toLowerCase(), params };
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).trim().toLowerCase().replace(/\.$/, '');
}

export function localPartOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(0, at)).trim().toLowerCase();
}

/** `<abc@example.com>` → `abc@example.com`, lower-cased, for comparing Message-IDs. */
export function bareMessageId(id: string): string {
  return id.trim().replace(/^<+/, '').replace(/>+$/, '').trim().toLowerCase();
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  if (v && typeof v === 'object') {
    const o = v as { text?: unknown; value?: unknown };
    if (typeof o.text === 'string') return o.text;
    if (typeof o.value === 'string') return o.value;
  }
  return v === null || v === undefined ? '' : String(v);
}
