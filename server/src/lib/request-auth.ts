import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';

export const SESSION_COOKIE = 'mailroom_session';

/** `Authorization: Bearer <token>`, else the session cookie. The `cookie` package survives malformed encodings. */
export function credentialOf(headers: { authorization?: string | null; cookie?: string | null }): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (bearer) return bearer[1]!;
  return parseCookie(headers.cookie ?? '')[SESSION_COOKIE] || null;
}

export function credentialOfNode(headers: IncomingHttpHeaders): string | null {
  return credentialOf({ authorization: headers.authorization, cookie: headers.cookie });
}

/** `Secure` whenever the installation is reached over https, so the cookie never travels in clear. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return stringifySetCookie({ name: SESSION_COOKIE, value, path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeSeconds });
}

/** The client's address; behind a trusted reverse proxy the last X-Forwarded-For entry (the one our proxy added). */
export function clientIp(req: IncomingMessage | undefined, trustProxy: boolean): string | null {
  if (!req) return null;
  if (trustProxy) {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (forwarded.length) return forwarded[forwarded.length - 1]!;
  }
  return req.socket.remoteAddress ?? null;
}
