/**
 * PostgreSQL `text` can't hold U+0000, and a lone UTF-16 surrogate can't be encoded as UTF-8:
 * either makes the whole statement fail. Everything that reaches the database from mail (or any
 * other outside source) goes through here first.
 */
export function storableText(value: string): string {
  return value.replace(/\0/g, '').toWellFormed();
}

export function storableTextOrNull(value: string | null | undefined): string | null {
  return value == null ? null : storableText(value);
}

/** Why a string given to the API can't be stored as it is, or null when it can. */
export function unstorableTextReason(value: string): string | null {
  if (value.includes('\0')) return 'must not contain NUL characters';
  if (!value.isWellFormed()) return 'must be valid Unicode text (it contains an unpaired surrogate)';
  return null;
}

/** At most `max` characters: a longer text is cut and ends with an ellipsis. */
export function clipped(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
