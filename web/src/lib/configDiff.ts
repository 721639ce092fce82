export const REDACTED = '[redacted]';

/** A change value (JSON text or null) as people read it: strings unquoted, absent as "—". */
export function displayValue(json: string | null): { text: string; redacted: boolean; empty: boolean } {
  if (json === null) return { text: '—', redacted: false, empty: true };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { text: json, redacted: false, empty: false };
  }
  if (value === REDACTED) return { text: 'redacted', redacted: true, empty: false };
  if (value === null || value === '') return { text: '—', redacted: false, empty: true };
  if (typeof value === 'string') return { text: value, redacted: false, empty: false };
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) {
    return { text: value.length ? value.join(', ') : '—', redacted: false, empty: value.length === 0 };
  }
  return { text: JSON.stringify(value), redacted: false, empty: false };
}

/** The name of the changed thing, from whichever side has one. */
export function entityName(before: string | null, after: string | null): string | null {
  for (const json of [after, before]) {
    if (!json) continue;
    try {
      const value = JSON.parse(json) as unknown;
      if (value && typeof value === 'object' && 'name' in value && typeof value.name === 'string') return value.name;
    } catch {
      // Not JSON: nothing to show.
    }
  }
  return null;
}

export function prettyJson(json: string | null): string {
  if (!json) return '';
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
