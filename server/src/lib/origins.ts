/**
 * Which browser origins may talk to the API with the session cookie: the installation's own
 * (PUBLIC_URL), any listed in MAILROOM_ALLOWED_ORIGINS, and the origin a request is addressed to
 * (the SPA served by this very process under whatever host name the admin typed). A sibling
 * subdomain, another port on the same host or any other site is refused, whatever SameSite says.
 */
export interface OriginPolicy {
  /** `origin` = the Origin header (null when the client sent none: not a browser), `host` = the Host header. */
  allows(origin: string | null | undefined, host: string | null | undefined): boolean;
  /** The configured origins, for CORS. */
  readonly listed: readonly string[];
}

export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

export function originPolicy(publicUrl: string | undefined, extra: readonly string[] = []): OriginPolicy {
  const listed = [...new Set([publicUrl, ...extra].map((u) => (u ? originOf(u) : null)).filter((o): o is string => o !== null))];
  const listedHosts = new Set(listed.map((o) => new URL(o).host));
  return {
    listed,
    allows(origin, host) {
      // Browsers always send Origin on cross-origin requests, on every POST and on WebSocket
      // upgrades; a request without one comes from a program, which needs a token (or the
      // user's own cookie) anyway.
      if (origin === undefined || origin === null) return true;
      const normalized = originOf(origin);
      if (!normalized) return false; // "null" (sandboxed frames, file:), garbage
      if (listed.includes(normalized)) return true;
      const originHost = new URL(normalized).host;
      // Under a listed host name only the listed scheme and port count (no http:// page beside an https:// desk).
      if (listedHosts.has(originHost)) return false;
      return host !== undefined && host !== null && originHost === host.toLowerCase();
    },
  };
}
