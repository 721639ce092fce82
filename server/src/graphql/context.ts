import type { Services } from '../services.js';
import type { Viewer } from '../modules/auth/auth.service.js';

export interface Context {
  viewer: Viewer | null;
  services: Services;
  /** Set-Cookie values the HTTP response should carry (signIn / signOut); ignored over WebSocket. */
  responseCookies: string[];
  /** The client's address (for sign-in throttling); null when unknown. */
  clientIp: string | null;
}
