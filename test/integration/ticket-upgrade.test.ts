// Data from before tickets were worked, brought up to date at start (modules/tickets/ticket-upgrade.ts):
// free-text priorities and request types become list entries their tickets and rules refer to,
// and tickets get the search text their conversation gives them. Running it again changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incomingRules, messages, requesters, tickets } from '../../server/src/db/schema.ts';
import { createLogger } from '../../server/src/lib/logger.ts';
import { upgradeTicketData } from '../../server/src/modules/tickets/ticket-upgrade.ts';
import { graphql, startTestApp, type TestApp } from '../testkit/app.ts';

const Find = graphql(`query UpgradeFind($search: String!) { tickets(filter: { search: $search }) { nodes { subject priority requestType } } }`);
const Lists = graphql(`query UpgradeLists { priorities { name } requestTypes { name } }`);

describe('upgrading ticket data written before issue 10', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('moves free text to the lists, writes search text, and is idempotent', async () => {
    const db = t.app.services.db;
    const [person] = await db.insert(requesters).values({ email: 'old@customer.example', name: 'Olga Old' }).returning();
    const [old] = await db.insert(tickets).values({ subject: 'Legacy ticket', description: 'from long ago', requesterId: person!.id, legacyPriority: ' HIGH ', legacyRequestType: 'Change' }).returning();
    await db.insert(messages).values({
      ticketId: old!.id, sourceKey: `legacy:${old!.id}`, contentHash: 'x', rawSize: 1, raw: Buffer.from('x'), fromAddress: 'old@customer.example', bodyText: 'the flux capacitor is broken',
    });
    await db.insert(incomingRules).values({ name: 'Old rule', position: 0, conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: 'x' }], actions: { priority: 'Someday' } });

    const logger = createLogger('silent');
    await upgradeTicketData(db, t.app.services.ticketLists, logger);
    await upgradeTicketData(db, t.app.services.ticketLists, logger);

    const lists = await t.admin.execute(Lists);
    expect(lists.priorities.map((p) => p.name)).toEqual(['Low', 'Normal', 'High', 'Urgent', 'Someday']);
    expect(lists.requestTypes.map((r) => r.name)).toEqual(['Change', 'Incident', 'Question', 'Service Request']);
    for (const word of ['capacitor', 'Olga', 'legacy']) {
      expect((await t.admin.execute(Find, { search: word })).tickets.nodes, word).toEqual([{ subject: 'Legacy ticket', priority: 'High', requestType: 'Change' }]);
    }
    const row = await db.query.tickets.findFirst({ where: (tk, { eq }) => eq(tk.id, old!.id) });
    expect(row).toMatchObject({ legacyPriority: null, legacyRequestType: null });
    const rule = await db.query.incomingRules.findFirst({ where: (r, { eq }) => eq(r.name, 'Old rule') });
    const someday = await db.query.priorities.findFirst({ where: (p, { eq }) => eq(p.name, 'Someday') });
    expect(rule!.actions).toEqual({ priorityId: someday!.id });
  });
});
