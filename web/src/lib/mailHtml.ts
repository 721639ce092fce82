/**
 * The document a sandboxed iframe shows for a message. The HTML was sanitized on the server
 * (no scripts, handlers, forms or frames; remote images moved to data-remote-src); the iframe
 * adds a second wall: no scripts may run in it at all.
 */
export function mailDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>
html,body{margin:0;padding:0;background:transparent}
body{font:14px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#17181c;overflow-wrap:anywhere}
img{max-width:100%;height:auto}
img[data-remote-src]{display:inline-block;width:20px!important;height:20px!important;min-width:0;vertical-align:middle;border:1px dashed #c5c8cf;border-radius:3px;background:#f4f5f7}
table{max-width:100%;border-collapse:collapse}
blockquote{margin:8px 0;padding-left:10px;border-left:3px solid #d0d2d8;color:#5b606b}
a{color:#4f46e5}
pre{white-space:pre-wrap}
p{margin:0 0 8px}
</style></head><body>${html}</body></html>`;
}

export function remoteImageCount(html: string): number {
  return (html.match(/\sdata-remote-src=/gi) ?? []).length;
}

/**
 * The HTML with its remote images loaded through Mailroom's proxy: the n-th `data-remote-src`
 * becomes `/api/messages/<id>/remote-images/<n>`, the same order the server reads them in, so
 * the sender's server sees Mailroom and never the technician.
 */
export function withRemoteImages(html: string, messageId: string): string {
  let n = 0;
  return html.replace(/\sdata-remote-src="[^"]*"/gi, () => ` src="/api/messages/${encodeURIComponent(messageId)}/remote-images/${n++}"`);
}
