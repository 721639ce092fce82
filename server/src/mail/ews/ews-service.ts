import { isIPv6 } from 'node:net';
import type { ExchangeService } from 'ews-javascript-api';
import { hostWithoutBrackets } from '../address-guard.js';
import type { Ews } from './ews-lib.js';
import type { FetchXhrApi } from './ews-xhr.js';
import type { IncomingServerRow } from '../../db/schema.js';

/**
 * The EWS endpoint: the admin's EWS URL, or https://host[:port]/EWS/Exchange.asmx. Security
 * "None" means plain http (an on-premises server behind a TLS-terminating proxy, or a test peer).
 */
export function ewsServiceUrl(server: Pick<IncomingServerRow, 'ewsUrl' | 'host' | 'port' | 'security'>): URL {
  if (server.ewsUrl) return new URL(server.ewsUrl);
  const scheme = server.security === 'NONE' ? 'http' : 'https';
  const host = hostWithoutBrackets(server.host ?? '');
  const defaultPort = scheme === 'https' ? 443 : 80;
  const port = server.port && server.port !== defaultPort ? `:${server.port}` : '';
  return new URL(`${scheme}://${isIPv6(host) ? `[${host}]` : host}${port}/EWS/Exchange.asmx`);
}

/** The host name of a URL as the address guard and TLS want it (no IPv6 brackets). */
export function urlHost(url: URL): string {
  return hostWithoutBrackets(url.hostname);
}

export function urlPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export type EwsAuth = { kind: 'basic'; username: string; password: string } | { kind: 'oauth'; accessToken: string };

/** Exchange 2010 SP2 is the oldest schema with everything we use (SyncFolderItems, ReturnNewItemIds); newer servers accept it. */
export function createEwsService(ews: Ews, url: URL, auth: EwsAuth, xhr: FetchXhrApi): ExchangeService {
  const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2010_SP2);
  service.XHRApi = xhr;
  service.Url = new ews.Uri(url.toString());
  setEwsCredentials(ews, service, auth);
  return service;
}

export function setEwsCredentials(ews: Ews, service: ExchangeService, auth: EwsAuth): void {
  // verbatim: tokens go out as issued; the library would otherwise refuse any token that is not a JWT.
  service.Credentials = auth.kind === 'oauth' ? new ews.OAuthCredentials(auth.accessToken, true) : new ews.WebCredentials(auth.username, auth.password);
}
