/**
 * One entry per line, trimmed, empty lines and duplicates dropped. Commas also separate
 * entries unless `commas` is false (keywords may contain commas).
 */
export function parseList(text: string, { commas = true }: { commas?: boolean } = {}): string[] {
  const seen = new Set<string>();
  for (const entry of text.split(commas ? /[\n,]/ : /\n/)) {
    const value = entry.trim();
    if (value) seen.add(value);
  }
  return [...seen];
}

export function formatList(values: readonly string[] | null | undefined): string {
  return (values ?? []).join('\n');
}
