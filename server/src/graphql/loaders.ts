import { createContextCache } from '@pothos/core';
import DataLoader from 'dataloader';
import type { UserRow } from '../modules/auth/auth.service.js';
import type { CatalogEntry, CatalogKind } from '../modules/catalog/catalog.service.js';
import type { IncomingServerRow } from '../db/schema.js';
import type { HealthRow } from '../modules/health/health.service.js';
import type { MessageRow, RequesterRow, TicketRow } from '../modules/tickets/ticket.service.js';
import type { Context } from './context.js';

interface CatalogKey { kind: CatalogKind; id: string }

/** Without a cache DataLoader hands a batch its keys as requested, repeats included. */
const unique = <T>(keys: readonly T[]): T[] => [...new Set(keys)];

/** Rows in the order of `ids` (DataLoader's contract), null where none was found. */
function byId<T extends { id: string }>(ids: readonly string[], rows: T[]): (T | null)[] {
  const found = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => found.get(id) ?? null);
}

/**
 * One DataLoader per relation resolved per row, per request: a page of 50 tickets reads each
 * relation in one statement instead of 50. Batching only, no cache: a subscription keeps one
 * context for all its events, and a cached health or group would be shown stale in every later one.
 */
export const loaders = createContextCache((ctx: Context) => {
  const { services } = ctx;
  const cache = false;
  return {
    requester: new DataLoader<string, RequesterRow | null>(async (ids) => byId(ids, await services.tickets.requesters(unique(ids))), { cache }),
    // One loader for the four named lists (groups, categories, priorities, request types): one statement for all.
    catalog: new DataLoader<CatalogKey, CatalogEntry | null>(async (keys) => {
      const ids: Partial<Record<CatalogKind, string[]>> = {};
      for (const k of keys) (ids[k.kind] ??= []).push(k.id);
      for (const kind of Object.keys(ids) as CatalogKind[]) ids[kind] = unique(ids[kind]!);
      const found = new Map((await services.catalog.entries(ids)).map((e) => [`${e.kind}:${e.id}`, e]));
      return keys.map((k) => found.get(`${k.kind}:${k.id}`) ?? null);
    }, { cache }),
    user: new DataLoader<string, UserRow | null>(async (ids) => byId(ids, await services.people.usersById(unique(ids))), { cache }),
    // Per viewer: the context belongs to one.
    unread: new DataLoader<Pick<TicketRow, 'id' | 'requesterActivityAt'>, boolean>((list) => services.tickets.unreadMany(ctx.viewer!.user.id, list), { cache }),
    incomingServer: new DataLoader<string, IncomingServerRow | null>(async (ids) => byId(ids, await services.servers.getMany(unique(ids))), { cache }),
    health: new DataLoader<string, HealthRow>(async (serverIds) => { const rows = new Map((await services.health.getMany(unique(serverIds))).map((h) => [h.serverId, h])); return serverIds.map((id) => rows.get(id)!); }, { cache }),
    messages: new DataLoader<string, MessageRow[]>(async (ticketIds) => {
      const byTicket = new Map<string, MessageRow[]>(ticketIds.map((id) => [id, []]));
      for (const m of await services.tickets.messagesOfMany(unique(ticketIds))) byTicket.get(m.ticketId!)?.push(m);
      return ticketIds.map((id) => byTicket.get(id)!);
    }, { cache }),
  };
});
