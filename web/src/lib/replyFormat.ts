import type { BodyFormat } from '@/graphql/generated/graphql';

/** How the technician writes: plain text, or Markdown (**bold**, lists, links) mailed as HTML. */
export type ReplyFormat = 'TEXT' | 'MARKDOWN';

/**
 * The body as the API takes it. Markdown becomes HTML here (marked, loaded on first use); the
 * server sanitizes it like incoming mail and derives the text alternative, and this page never
 * renders it, so raw HTML typed into the Markdown can't reach the SPA's own document.
 */
export async function replyBody(text: string, format: ReplyFormat): Promise<{ body: string; bodyFormat: BodyFormat }> {
  if (format === 'TEXT') return { body: text, bodyFormat: 'TEXT' };
  const { marked } = await import('marked');
  return { body: await marked.parse(text, { gfm: true, breaks: true, async: true }), bodyFormat: 'HTML' };
}
