import { colord, extend, type Colord } from 'colord';
import a11yPlugin from 'colord/plugins/a11y';
import namesPlugin from 'colord/plugins/names';
import render from 'dom-serializer';
import { isTag, type ChildNode, type Element } from 'domhandler';
import { parseDocument } from 'htmlparser2';

extend([namesPlugin, a11yPlugin]);

/** Below this WCAG contrast ratio text is as good as invisible (white on white is 1, #999 on white 2.8). */
const MIN_CONTRAST = 1.5;
/** The page behind the message in the SPA. */
const PAGE = colord('#ffffff');

/** A CSS colour (hex, rgb(), hsl(), a name) or null; `transparent` and half-transparent colours count as none. */
export function parseColour(value: string | null | undefined): Colord | null {
  const v = (value ?? '').trim().toLowerCase();
  if (!v || v === 'transparent' || v === 'inherit' || v === 'currentcolor') return null;
  // Mail writes hex without its # (bgcolor="ffffff") as often as with it.
  const c = colord(/^[0-9a-f]{6}$|^[0-9a-f]{3}$/.test(v) ? `#${v}` : v);
  return c.isValid() && c.alpha() >= 0.5 ? c : null;
}

function styleOf(el: Element): Map<string, string> {
  const map = new Map<string, string>();
  for (const decl of (el.attribs.style ?? '').split(';')) {
    const i = decl.indexOf(':');
    if (i > 0) map.set(decl.slice(0, i).trim().toLowerCase(), decl.slice(i + 1).trim());
  }
  return map;
}

function setStyle(el: Element, style: Map<string, string>): void {
  if (style.size) el.attribs.style = [...style].map(([k, v]) => `${k}:${v}`).join(';');
  else delete el.attribs.style;
}

function walk(nodes: ChildNode[], background: Colord): void {
  for (const node of nodes) {
    if (!isTag(node)) continue;
    const style = styleOf(node);
    const bg = parseColour(style.get('background-color')) ?? background;
    const fg = parseColour(style.get('color'));
    if (fg && fg.contrast(bg) < MIN_CONTRAST) {
      style.delete('color');
      setStyle(node, style);
    }
    if (node.name === 'font' && node.attribs.color) {
      const colour = parseColour(node.attribs.color);
      if (colour && colour.contrast(bg) < MIN_CONTRAST) delete node.attribs.color;
    }
    walk(node.children, bg);
  }
}

/**
 * Drops text colours that would all but vanish on the background they end up on (white text
 * whose background image was not loaded, light grey on a light cell), so no sanitized message
 * hides its words. Backgrounds are inherited down the tree from the page's white.
 */
export function keepReadable(html: string): string {
  if (!/color/i.test(html)) return html;
  // decodeEntities off both ways: the sanitized text goes back out exactly as it came in.
  const doc = parseDocument(html, { decodeEntities: false });
  walk(doc.children, PAGE);
  return render(doc, { decodeEntities: false, encodeEntities: false, emptyAttrs: true, selfClosingTags: false });
}
