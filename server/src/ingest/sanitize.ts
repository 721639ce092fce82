import sanitizeHtml from 'sanitize-html';
import { keepReadable, parseColour } from './mime/contrast.js';

/** `color: red; background: #fff url(x.png)` → [['color', 'red'], ['background', '#fff url(x.png)']]. */
function declarations(style: string): [string, string][] {
  return style.split(';').flatMap((d) => {
    const i = d.indexOf(':');
    return i > 0 ? [[d.slice(0, i).trim().toLowerCase(), d.slice(i + 1).trim()] as [string, string]] : [];
  });
}

/** The colour in a `background` shorthand (`#1a73e8 url(bg.png) no-repeat` → `#1a73e8`); images never load. */
function shorthandColour(value: string): string | null {
  const tokens = value.replace(/url\([^)]*\)/gi, ' ').match(/#[0-9a-f]{3,8}\b|rgba?\([^)]*\)|hsla?\([^)]*\)|[a-z]+/gi) ?? [];
  return tokens.find((t) => parseColour(t) !== null) ?? null;
}

/**
 * Background colours kept, background images dropped: the `background` shorthand becomes its
 * colour, `bgcolor` a background-color, `<body text>` a color; everything else in `style` is left
 * to sanitize-html's allow-list.
 */
function withColours(attribs: sanitizeHtml.Attributes): sanitizeHtml.Attributes {
  const decls = declarations(attribs.style ?? '').flatMap(([name, value]): [string, string][] => {
    if (name === 'background') {
      const colour = shorthandColour(value);
      return colour ? [['background-color', colour]] : [];
    }
    return [[name, value]];
  });
  const { bgcolor, text, ...rest } = attribs;
  if (bgcolor && parseColour(bgcolor) && !decls.some(([n]) => n === 'background-color')) decls.unshift(['background-color', bgcolor.trim()]);
  if (text && parseColour(text) && !decls.some(([n]) => n === 'color')) decls.unshift(['color', text.trim()]);
  if (!decls.length) {
    const { style: _style, ...noStyle } = rest;
    return noStyle;
  }
  return { ...rest, style: decls.map(([n, v]) => `${n}:${v}`).join(';') };
}

const COLOUR = [/^#[0-9a-f]{3,8}$/i, /^rgba?\([\d\s.,%]+\)$/i, /^hsla?\([\d\s.,%deg]+\)$/i, /^[a-z]+$/i];

/**
 * Allow-list sanitising of mail HTML: no scripts, handlers, forms, frames or javascript: URLs.
 * Remote images are not loaded: their src moves to data-remote-src so the SPA can offer them
 * behind a click (fetched through Mailroom). Background colours stay (not images), and a text
 * colour that would vanish on the background it ends up on is dropped (keepReadable).
 */
export function sanitizeMailHtml(html: string): string {
  const clean = sanitizeHtml(html, {
    allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img', 'font', 'center', 'span', 'del', 'ins', 'sub', 'sup']),
    allowedAttributes: {
      // rel and target are set by transformTags below; they must be allowed or the filter drops them again.
      a: ['href', 'title', 'rel', 'target'],
      img: ['src', 'alt', 'title', 'width', 'height', 'data-remote-src'],
      td: ['colspan', 'rowspan', 'align', 'valign', 'width'],
      th: ['colspan', 'rowspan', 'align', 'valign', 'width'],
      table: ['border', 'cellpadding', 'cellspacing', 'width', 'align'],
      font: ['color'],
      '*': ['style', 'dir', 'lang'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'cid'],
    allowedSchemesByTag: { img: ['cid', 'data'] },
    allowedStyles: {
      '*': {
        color: COLOUR,
        'background-color': COLOUR,
        'text-align': [/^(left|right|center|justify)$/],
        'font-weight': [/^(bold|normal|\d{3})$/],
        'font-style': [/^(italic|normal)$/],
        'text-decoration': [/^[a-z -]+$/],
        padding: [/^[\d.\s]+(px|em|%)?( [\d.]+(px|em|%)?){0,3}$/],
      },
    },
    transformTags: {
      // The body's colours (a dark newsletter) live on after the body tag itself is gone.
      body: (_tagName, attribs) => ({ tagName: 'div', attribs: withColours(attribs) }),
      a: (tagName, attribs) => ({ tagName, attribs: { ...withColours(attribs), rel: 'noopener noreferrer nofollow', target: '_blank' } }),
      img: (tagName, attribs) => {
        const src = attribs.src ?? '';
        if (/^https?:/i.test(src)) {
          const { src: _remote, ...rest } = attribs;
          return { tagName, attribs: { ...rest, 'data-remote-src': src } };
        }
        return { tagName, attribs };
      },
      '*': (tagName, attribs) => ({ tagName, attribs: withColours(attribs) }),
    },
    allowedSchemesAppliedToAttributes: ['href', 'src'],
  });
  return keepReadable(clean);
}
