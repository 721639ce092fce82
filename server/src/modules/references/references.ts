// What refers to a technician group, category, company, outgoing server or proxy, and moving
// those references to a replacement before the thing is deleted (SPEC §2: nothing referenced
// disappears silently). Rule actions are JSON, so they are matched and rewritten here too.
import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import {
  categories, companies, incomingRules, incomingServers, outboundMail, outgoingServers, proxyServers, technicianGroupMembers,
  technicianGroups, tickets, users,
} from '../../db/schema.js';
import { InUseError, ValidationError, type Usage } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { isUuid } from '../../lib/uuid.js';
import { inUseMessage, REFERENCED_NOUNS, type ReferencedKind } from './references.wording.js';

export type { ReferencedKind } from './references.wording.js';

type ServerKey = 'technicianGroupId' | 'categoryId' | 'companyId' | 'outgoingServerId' | 'proxyServerId';
type RouteKey = 'technicianGroupId' | 'categoryId' | 'companyId';

interface Shape {
  table: typeof technicianGroups | typeof categories | typeof companies | typeof outgoingServers | typeof proxyServers;
  /** The incoming server column that names it. */
  server: ServerKey;
  /** The rule action and ticket column that name it, for what routes requests. */
  route?: RouteKey;
}

const SHAPES: Record<ReferencedKind, Shape> = {
  TechnicianGroup: { table: technicianGroups, server: 'technicianGroupId', route: 'technicianGroupId' },
  Category: { table: categories, server: 'categoryId', route: 'categoryId' },
  Company: { table: companies, server: 'companyId', route: 'companyId' },
  OutgoingEmailServer: { table: outgoingServers, server: 'outgoingServerId' },
  ProxyServer: { table: proxyServers, server: 'proxyServerId' },
};

const NAMED = 5;

/** Everything that still refers to `id`, by kind; empty when nothing does. */
export async function usagesOf(q: Queryable, kind: ReferencedKind, id: string): Promise<Usage[]> {
  const shape = SHAPES[kind];
  const usages: Usage[] = [];
  const servers = await q.select({ name: incomingServers.name }).from(incomingServers).where(eq(incomingServers[shape.server], id)).orderBy(asc(incomingServers.name));
  if (servers.length) usages.push({ kind: 'INCOMING_SERVER', count: servers.length, names: servers.slice(0, NAMED).map((s) => s.name) });
  if (shape.route) {
    const rules = await q.select({ name: incomingRules.name }).from(incomingRules).where(ruleUses(shape.route, id)).orderBy(asc(incomingRules.position));
    if (rules.length) usages.push({ kind: 'RULE', count: rules.length, names: rules.slice(0, NAMED).map((r) => r.name) });
    const [{ n } = { n: 0 }] = await q.select({ n: count() }).from(tickets).where(eq(tickets[shape.route], id));
    if (n) {
      const first = await q.select({ number: tickets.number }).from(tickets).where(eq(tickets[shape.route], id)).orderBy(asc(tickets.number)).limit(NAMED);
      usages.push({ kind: 'TICKET', count: n, names: first.map((t) => `REQ-${t.number}`) });
    }
  }
  if (kind === 'TechnicianGroup') {
    const members = await q
      .select({ name: users.name, email: users.email })
      .from(technicianGroupMembers)
      .innerJoin(users, eq(users.id, technicianGroupMembers.userId))
      .where(eq(technicianGroupMembers.groupId, id))
      .orderBy(asc(users.name));
    if (members.length) usages.push({ kind: 'TECHNICIAN', count: members.length, names: members.slice(0, NAMED).map((m) => m.name || m.email) });
  }
  if (kind === 'OutgoingEmailServer') {
    const [{ n } = { n: 0 }] = await q.select({ n: count() }).from(outboundMail).where(and(eq(outboundMail.outgoingServerId, id), eq(outboundMail.status, 'PENDING')));
    if (n) usages.push({ kind: 'QUEUED_MAIL', count: n, names: [] });
  }
  return usages;
}

function ruleUses(key: RouteKey, id: string): SQL {
  return sql`${incomingRules.actions}->>${key} = ${id}`;
}

export interface GuardedDelete {
  kind: ReferencedKind;
  id: string;
  name: string;
  replacementId?: string | null;
  actorUserId: string | null;
  /** Deletes the row itself and records it; runs in the transaction after the references moved. */
  remove(tx: Queryable, replacement: { id: string; name: string } | null): Promise<void>;
}

/**
 * Deletes what nothing uses; refuses with the list of users otherwise, unless a replacement of
 * the same kind is named: then servers, rules, requests, technicians and queued mail move to it
 * in the same transaction as the delete.
 */
export async function deleteGuarded(db: Db, pubsub: PubSub, d: GuardedDelete): Promise<{ id: string } | InUseError | ValidationError> {
  const replacementId = d.replacementId ?? null;
  let replacement: { id: string; name: string } | null = null;
  if (replacementId !== null) {
    const table = SHAPES[d.kind].table;
    const [row] = isUuid(replacementId) && replacementId !== d.id ? await db.select({ id: table.id, name: table.name }).from(table).where(eq(table.id, replacementId)) : [];
    if (!row) {
      return ValidationError.of([{ path: ['replacementId'], message: `Choose another existing ${REFERENCED_NOUNS[d.kind]} as the replacement` }]);
    }
    replacement = row;
  }
  const moved = await db.transaction(async (tx) => {
    const usages = await usagesOf(tx, d.kind, d.id);
    if (usages.length && !replacement) return new InUseError(inUseMessage(d.kind, d.name, usages), usages);
    const servers = replacement && usages.length ? await moveReferences(tx, d.kind, d.id, replacement.id, d.actorUserId) : [];
    await d.remove(tx, usages.length ? replacement : null);
    return servers;
  });
  if (moved instanceof InUseError) return moved;
  // A new proxy means new connections; every other change shows on the server cards.
  for (const serverId of moved) {
    if (d.kind === 'ProxyServer') await pubsub.publish('incomingServerChanged', serverId);
    await pubsub.publish('incomingEmailServerUpdated', serverId);
  }
  return { id: d.id };
}

async function moveReferences(tx: Queryable, kind: ReferencedKind, id: string, replacementId: string, actorUserId: string | null): Promise<string[]> {
  const shape = SHAPES[kind];
  const before = await tx.select().from(incomingServers).where(eq(incomingServers[shape.server], id));
  if (before.length) {
    const after = await tx
      .update(incomingServers)
      .set({ [shape.server]: replacementId, updatedAt: new Date() })
      .where(inArray(incomingServers.id, before.map((s) => s.id)))
      .returning();
    for (const row of after) {
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailServer', entityId: row.id, action: 'UPDATE', before: before.find((b) => b.id === row.id), after: row });
    }
  }
  if (shape.route) {
    const key = shape.route;
    const rules = await tx.select().from(incomingRules).where(ruleUses(key, id));
    for (const rule of rules) {
      const [after] = await tx
        .update(incomingRules)
        .set({ actions: { ...rule.actions, [key]: replacementId }, updatedAt: new Date() })
        .where(eq(incomingRules.id, rule.id))
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailRule', entityId: rule.id, action: 'UPDATE', before: rule, after });
    }
    await tx.update(tickets).set({ [key]: replacementId, updatedAt: new Date() }).where(eq(tickets[key], id));
  }
  if (kind === 'TechnicianGroup') {
    await tx.execute(sql`insert into ${technicianGroupMembers} (group_id, user_id)
      select ${replacementId}::uuid, user_id from ${technicianGroupMembers} where group_id = ${id}::uuid on conflict do nothing`);
  }
  if (kind === 'OutgoingEmailServer') {
    await tx.update(outboundMail).set({ outgoingServerId: replacementId }).where(and(eq(outboundMail.outgoingServerId, id), eq(outboundMail.status, 'PENDING')));
  }
  return before.map((s) => s.id);
}
