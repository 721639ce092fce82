import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { appSettings, incomingRules, priorities, requestTypes, tickets } from '../../db/schema.js';
import { SEARCH_PIECE_MAX, SEARCH_TEXT_MAX } from '../../db/search-text.js';
import type { Logger } from '../../lib/logger.js';
import type { TicketListService } from '../catalog/ticket-lists.service.js';
import { loadAppSettings } from '../settings/settings.service.js';

/** Rows returned by `db.execute()`: postgres.js gives an array, PGlite a `{ rows }` object. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

const BATCH = 500;

/**
 * Data written before tickets were worked (SPEC §10), brought up to date at start; each step
 * does nothing once done. The default priorities and request types are created once; free-text
 * priorities and request types that rules set become list entries the tickets and rules refer
 * to; tickets without search text get it from their conversation.
 */
export async function upgradeTicketData(db: Db, lists: TicketListService, logger: Logger): Promise<void> {
  await db.transaction(async (tx) => {
    const legacy = async (column: 'priority' | 'request_type', ruleKey: 'priority' | 'requestType') =>
      rowsOf<{ name: string }>(await tx.execute(sql`
        select distinct trim(${sql.raw(column)}) as name from ${tickets} where ${sql.raw(column)} is not null and trim(${sql.raw(column)}) <> ''
        union select distinct trim(${incomingRules.actions}->>${ruleKey}) from ${incomingRules} where coalesce(trim(${incomingRules.actions}->>${ruleKey}), '') <> ''`)).map((r) => r.name);
    const names = { priorities: await legacy('priority', 'priority'), requestTypes: await legacy('request_type', 'requestType') };
    const settings = await loadAppSettings(tx);
    if (!settings.ticketListsSeeded) {
      await lists.seedDefaults(tx, names);
      await tx.update(appSettings).set({ ticketListsSeeded: true }).where(eq(appSettings.id, 1));
    } else {
      if (names.priorities.length) await tx.insert(priorities).values(names.priorities.map((name) => ({ name, position: 1000 }))).onConflictDoNothing();
      if (names.requestTypes.length) await tx.insert(requestTypes).values(names.requestTypes.map((name) => ({ name }))).onConflictDoNothing();
    }
    if (!names.priorities.length && !names.requestTypes.length) return;
    for (const [list, column, idColumn, ruleKey, idKey] of [
      [priorities, 'priority', 'priority_id', 'priority', 'priorityId'],
      [requestTypes, 'request_type', 'request_type_id', 'requestType', 'requestTypeId'],
    ] as const) {
      await tx.execute(sql`
        update ${tickets} set ${sql.raw(idColumn)} = l.id, ${sql.raw(column)} = null
        from ${list} l where ${tickets}.${sql.raw(column)} is not null and lower(l.name) = lower(trim(${tickets}.${sql.raw(column)}))`);
      await tx.execute(sql`
        update ${incomingRules} set actions = (${incomingRules.actions} - ${ruleKey}::text) || jsonb_build_object(${idKey}::text, l.id)
        from ${list} l where lower(l.name) = lower(trim(${incomingRules.actions}->>${ruleKey}::text))`);
    }
    logger.info(names, 'moved free-text priorities and request types to their lists');
  });

  let filled = 0;
  for (;;) {
    const done = rowsOf<{ id: string }>(await db.execute(sql`
      update tickets t set
        search_text = left(concat_ws(E'\n', t.subject, r.email, r.name, (
          select string_agg(left(concat_ws(' ', m.from_address, m.body_text), ${SEARCH_PIECE_MAX}), E'\n' order by m.received_at)
          from messages m where m.ticket_id = t.id)), ${SEARCH_TEXT_MAX}),
        last_activity_at = t.updated_at,
        requester_activity_at = t.updated_at
      from requesters r
      where r.id = t.requester_id and t.id in (select id from tickets where search_text is null limit ${BATCH})
      returning t.id`));
    filled += done.length;
    if (done.length < BATCH) break;
  }
  if (filled) logger.info({ tickets: filled }, 'search text written for tickets from before search');
}
