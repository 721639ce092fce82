import type { Services } from '../services.js';
import type { UserRow } from '../modules/auth/auth.service.js';

export interface Viewer {
  user: UserRow;
  canManageSupportChannels: boolean;
  tokenId: string;
}

export interface Context {
  viewer: Viewer | null;
  services: Services;
  /** Set-Cookie values the HTTP response should carry (signIn / signOut); ignored over WebSocket. */
  responseCookies: string[];
}
