import type { Services } from '../services.js';
import type { UserRow } from '../modules/auth/auth.service.js';

export interface Viewer {
  user: UserRow;
  canManageSupportChannels: boolean;
  tokenId: string;
  /** When the token stops working (sessions: 30 days; API tokens: optional). */
  tokenExpiresAt: Date | null;
}

export interface Context {
  viewer: Viewer | null;
  services: Services;
  /** Set-Cookie values the HTTP response should carry (signIn / signOut); ignored over WebSocket. */
  responseCookies: string[];
  /** The client's address (for sign-in throttling); null when unknown. */
  clientIp: string | null;
}
