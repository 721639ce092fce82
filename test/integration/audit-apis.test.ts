// The audit APIs the admin screens read: the configuration audit trail with its diff, and the
// hourly ingest chart.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, graphql, startTestApp, type GraphQLClient, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

const TRAIL = graphql(`
  query AuditTrail($type: String, $id: ID, $first: Int, $after: String) {
    configAuditTrail(entityType: $type, entityId: $id, first: $first, after: $after) {
      edges { cursor node { id at action entityType entityId before after actor { email name } changes { path before after } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
const UPDATE_PREFERENCE = graphql(`
  mutation AuditUpdatePreference($input: EmailPreferenceInput!) { updateEmailPreference(input: $input) { __typename } }
`);
const INGEST_STATS = graphql(`
  query AuditIngestStats($id: ID, $h: Int) { emailIngestStats(serverId: $id, hours: $h) { hour outcome count } }
`);

describe('audit APIs', () => {
  let t: TestApp;
  let tech: GraphQLClient;

  beforeAll(async () => {
    t = await startTestApp();
    tech = await (await t.seed.technician({ email: 'tech@mailroom.test', name: 'Tess Tech' })).signIn();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the configuration trail shows who changed what, with a field diff and secrets redacted', async () => {
    const user = `trail-${randomUUID().slice(0, 8)}@example.test`;
    const input = { name: 'Support', email: user, protocol: 'IMAP', host: '127.0.0.1', port: 1, security: 'NONE', password: 'first-secret-pw', enabled: false } as const;
    const { id } = await t.seed.incomingServer(input);
    await t.seed.updateIncomingServer(id, { ...input, name: 'Support desk', password: 'second-secret-pw', filter: { type: 'IGNORE', domains: ['spam.example'] } });

    const page1 = (await t.admin.execute(TRAIL, { type: 'IncomingEmailServer', id, first: 1 })).configAuditTrail;
    expect(page1.edges).toHaveLength(1);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const update = page1.edges[0]!.node;
    expect(update).toMatchObject({ action: 'UPDATE', entityType: 'IncomingEmailServer', entityId: id, actor: { email: ADMIN.email, name: 'Super Admin' } });
    const changes = Object.fromEntries(update.changes.map((c) => [c.path, [c.before, c.after]]));
    expect(changes.name).toEqual(['"Support"', '"Support desk"']);
    expect(changes.filterType).toEqual([null, '"IGNORE"']);
    expect(changes.filterDomains).toEqual(['[]', '["spam.example"]']);
    expect(changes.credentialsVersion).toEqual(['1', '2']);
    expect(changes.updatedAt).toBeUndefined();
    expect(changes.passwordSealed).toBeUndefined(); // redacted on both sides
    expect(JSON.parse(update.after!)).toMatchObject({ name: 'Support desk', passwordSealed: '[redacted]' });
    const everything = JSON.stringify(page1);
    expect(everything).not.toContain('first-secret-pw');
    expect(everything).not.toContain('second-secret-pw');

    const page2 = (await t.admin.execute(TRAIL, { type: 'IncomingEmailServer', id, first: 1, after: page1.pageInfo.endCursor })).configAuditTrail;
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const create = page2.edges[0]!.node;
    expect(create).toMatchObject({ action: 'CREATE', before: null, actor: { email: ADMIN.email } });
    expect(create.changes.find((c) => c.path === 'email')).toEqual({ path: 'email', before: null, after: JSON.stringify(user) });
    expect(JSON.parse(create.after!).passwordSealed).toBe('[redacted]');

    // Preferences are in the same trail; with no filter the newest change comes first.
    await t.admin.execute(UPDATE_PREFERENCE, { input: { duplicateWindowMinutes: 15 } });
    const latest = (await t.admin.execute(TRAIL, { first: 1 })).configAuditTrail.edges[0]!.node;
    expect(latest).toMatchObject({ entityType: 'EmailPreference', action: 'UPDATE' });
    expect(latest.changes).toContainEqual({ path: 'duplicateWindowMinutes', before: '60', after: '15' });

    const denied = await tech.request(TRAIL, {});
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('counts delivered mail per hour and outcome for the ingest chart', async () => {
    const user = `stats-${randomUUID().slice(0, 8)}@example.test`;
    const dovecot = getDovecot();
    await dovecot.addUser(user, 'stats-password');
    const { id } = await t.seed.incomingServer({
      name: 'Stats', email: user, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', password: 'stats-password', realTimeScanning: true,
      filter: { type: 'IGNORE', domains: ['spam.example'] },
    });
    for (const i of [1, 2, 3]) await dovecot.deliver(user, mail({ from: `customer${i}@customer.example`, to: user, subject: `Chart ${i}`, body: 'x' }));
    await dovecot.deliver(user, mail({ from: 'bot@spam.example', to: user, subject: 'Buy now', body: 'x' }));

    const stats = async (serverId: string | null = id) =>
      (await t.admin.execute(INGEST_STATS, { id: serverId, h: 24 })).emailIngestStats;
    await waitFor('four audited messages', async () => (await stats()).reduce((n, b) => n + b.count, 0) === 4, 20_000);
    const buckets = await stats();
    const hour = new Date(Math.floor(Date.now() / 3600_000) * 3600_000).toISOString();
    const byOutcome = Object.fromEntries(buckets.map((b) => [b.outcome, b]));
    expect(byOutcome.TICKET_CREATED).toMatchObject({ count: 3 });
    expect(byOutcome.FILTERED).toMatchObject({ count: 1 });
    // Delivered within this test: the current UTC hour (or the previous one right at the turn of the hour).
    for (const b of buckets) expect([hour, new Date(Date.parse(hour) - 3600_000).toISOString()]).toContain(b.hour);

    const all = await stats(null);
    expect(all.filter((b) => b.outcome === 'TICKET_CREATED').reduce((n, b) => n + b.count, 0)).toBeGreaterThanOrEqual(3);
    expect(await stats(randomUUID())).toEqual([]);
    const denied = await tech.request(INGEST_STATS);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
