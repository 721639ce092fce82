import { compile, type HtmlToTextOptions } from 'html-to-text';

/** Longer HTML is cut before conversion: the description is for reading, search and rules, not an archive. */
const MAX_HTML_CHARS = 1_000_000;

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  limits: { maxDepth: 200 },
  selectors: [
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'head', format: 'skip' },
    // Links as text: "Status page [https://status.example.com/]", the bare URL once when the text is the URL.
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false, noAnchorUrl: true } },
    ...(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const).map((selector) => ({ selector, options: { uppercase: false } })),
    // Tables as rows of cells (a layout table reads as its text in order, a data table stays legible).
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: 80 } },
  ],
};

/** Compiled once: html-to-text builds its selector machinery per options object, which costs more than converting a short mail. */
const convert = compile(OPTIONS);

/**
 * The plain-text description of an HTML body (html-to-text): line breaks and paragraphs kept,
 * links as text with their address, tables row by row, images and styles left out.
 */
export function htmlToDescription(html: string): string {
  return convert(html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html).replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}
