import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailPreference, messages, quarantine } from '../../server/src/db/schema.ts';
import { QuarantineService, recordQuarantine, type Reprocessor } from '../../server/src/modules/quarantine/quarantine.service.ts';
import { graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';

graphql(`
  fragment QuarantineFields on QuarantinedMessage { id reason server { id name } messageId from subject size createdAt resolvedAt resolution resolvedBy { email } rawUrl }
`);
graphql(`
  fragment QuarantineAction on QuarantineActionResult {
    __typename ... on QuarantineActionSuccess { result { outcome ticket { id } entry { ...QuarantineFields } } } ... on Error { message }
  }
`);
const List = graphql(`query QuarantineList($all: Boolean) { quarantinedMessages(includeResolved: $all) { ...QuarantineFields } }`);
const Delete = graphql(`mutation QuarantineDelete($id: ID!) { deleteQuarantinedMessage(id: $id) { ...QuarantineAction } }`);
const Release = graphql(`mutation QuarantineRelease($id: ID!) { releaseQuarantinedMessage(id: $id) { ...QuarantineAction } }`);

describe('quarantine', () => {
  let t: TestApp;
  let serverId: string;

  /** What the ingest transaction does for a message it cannot handle: keep the raw message, record the reason. */
  async function quarantineMessage(reason: string, subject = 'Huge attachment') {
    const raw = Buffer.from(`From: ada@customer.example\r\nSubject: ${subject}\r\nMessage-ID: <${randomUUID()}@customer.example>\r\n\r\nbody\r\n`);
    return t.app.services.db.transaction(async (tx) => {
      const [message] = await tx.insert(messages).values({
        serverId, sourceKey: `imap:${serverId}:1:${randomUUID()}`, contentHash: randomUUID(), rawSize: raw.length, raw,
        fromAddress: 'ada@customer.example', subject, messageId: '<q@customer.example>',
      }).returning();
      await recordQuarantine(tx, [{ messageRowId: message!.id, serverId, reason }]);
      return (await tx.query.quarantine.findFirst({ where: (q, { eq }) => eq(q.messageRowId, message!.id) }))!;
    });
  }
  const list = async (includeResolved = false) => (await t.admin.execute(List, { all: includeResolved })).quarantinedMessages;

  beforeAll(async () => {
    t = await startTestApp({ pollers: false });
    serverId = (await t.seed.incomingServer({ name: 'Support', email: 'support@example.com', protocol: 'IMAP', host: 'imap.example.com', password: 'x', enabled: false })).id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists open entries with reason, server, sender, size and a raw download for admins', async () => {
    const entry = await quarantineMessage('message is 30.0 MB, over the 25.0 MB limit');
    const [shown] = await list();
    expect(shown).toMatchObject({
      id: entry.id, reason: 'message is 30.0 MB, over the 25.0 MB limit', server: { id: serverId, name: 'Support' }, from: 'ada@customer.example',
      subject: 'Huge attachment', resolvedAt: null, resolution: null, resolvedBy: null, rawUrl: `/api/quarantine/${entry.id}/raw`,
    });
    expect(shown!.size).toBeGreaterThan(50);

    const raw = await fetch(`${t.url}${shown!.rawUrl}`, { headers: { authorization: `Bearer ${t.admin.token}` } });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await raw.text()).toContain('Subject: Huge attachment');

    const tech = await (await t.seed.technician({ email: 'tech-q@mailroom.test', name: 'Tech' })).signIn();
    expect((await fetch(`${t.url}${shown!.rawUrl}`, { headers: { authorization: `Bearer ${tech.token}` } })).status).toBe(403);
    expect((await fetch(`${t.url}${shown!.rawUrl}`)).status).toBe(401);
    expect((await tech.request(List, {})).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('deletes the raw message, records who did it and keeps the idempotency key', async () => {
    const entry = await quarantineMessage('unparseable message: bad MIME', 'Broken');
    const deleted = (await t.admin.execute(Delete, { id: entry.id })).deleteQuarantinedMessage;
    expect(deleted).toMatchObject({
      __typename: 'QuarantineActionSuccess',
      result: { outcome: null, ticket: null, entry: { id: entry.id, resolution: 'DELETED', resolvedBy: { email: 'admin@mailroom.test' }, rawUrl: null } },
    });
    expect(ok(deleted, 'QuarantineActionSuccess').result.entry.resolvedAt).not.toBeNull();
    expect((await list()).map((e) => e.id)).not.toContain(entry.id);
    expect((await list(true)).map((e) => e.id)).toContain(entry.id);
    expect((await fetch(`${t.url}/api/quarantine/${entry.id}/raw`, { headers: { authorization: `Bearer ${t.admin.token}` } })).status).toBe(404);

    const message = await t.app.services.db.query.messages.findFirst({ where: (m, { eq }) => eq(m.id, entry.messageRowId) });
    expect(message!.raw.length).toBe(0);
    expect(message!.sourceKey).toMatch(/^imap:/); // still there: the mailbox's copy is not taken again

    const audit = await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityId, entry.id) });
    expect(audit).toEqual([expect.objectContaining({ entityType: 'QuarantinedMessage', action: 'DELETE', after: expect.objectContaining({ resolution: 'DELETED' }) })]);

    const twice = (await t.admin.execute(Delete, { id: entry.id })).deleteQuarantinedMessage;
    expect(twice).toEqual({ __typename: 'ValidationError', message: 'This message was already deleted' });
    const missing = (await t.admin.execute(Release, { id: randomUUID() })).releaseQuarantinedMessage;
    expect(missing).toEqual({ __typename: 'NotFoundError', message: 'No such quarantined message' });
  });

  it('releases (force) and reprocesses through the pipeline, and keeps an entry the pipeline holds again', async () => {
    const calls: { messageRowId: string; force: boolean }[] = [];
    // The pipeline's contract: `within` runs in its transaction once the message is written.
    const pipeline: Reprocessor = {
      async reprocess(messageRowId, opts) {
        calls.push({ messageRowId, force: opts.force });
        const result = opts.force
          ? { outcome: 'TICKET_CREATED' as const, reason: 'created REQ-1: released by an admin', ticketId: null }
          : { outcome: 'QUARANTINED' as const, reason: 'processing failed: deadlock', ticketId: null };
        await t.app.services.db.transaction(async (tx) => opts.within?.(tx, result));
        return result;
      },
    };
    const service = new QuarantineService(t.app.services.db, pipeline);
    const admin = (await t.app.services.db.query.users.findFirst())!;

    const held = await quarantineMessage('processing failed: deadlock', 'Retry me');
    const again = await service.reprocessQuarantined(held.id, admin.id);
    expect(again).toMatchObject({ outcome: 'QUARANTINED', message: 'Still held: processing failed: deadlock.', entry: { id: held.id, resolvedAt: null } });
    expect(calls).toEqual([{ messageRowId: held.messageRowId, force: false }]);

    const released = await service.releaseQuarantined(held.id, admin.id);
    expect(released).toMatchObject({ outcome: 'TICKET_CREATED', message: 'Created REQ-1: released by an admin.', entry: { id: held.id, resolution: 'RELEASED', resolvedByUserId: admin.id } });
    expect(calls.at(-1)).toEqual({ messageRowId: held.messageRowId, force: true });
    expect(await service.releaseQuarantined(held.id, admin.id)).toMatchObject({ message: 'This message was already released' });
    const audit = await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityId, held.id) });
    expect(audit).toEqual([expect.objectContaining({ action: 'UPDATE', after: expect.objectContaining({ resolution: 'RELEASED', outcome: 'TICKET_CREATED' }) })]);

    const crashing = await quarantineMessage('processing failed', 'Crashes');
    const broken: Reprocessor = { reprocess: async () => { throw new Error('boom'); } };
    expect(await new QuarantineService(t.app.services.db, broken).releaseQuarantined(crashing.id, admin.id))
      .toMatchObject({ message: 'Processing failed again; the message stays in quarantine (the server log has the details)' });
    expect((await list()).map((e) => e.id)).toContain(crashing.id);
  });

  it('purges entries past the retention period', async () => {
    const db = t.app.services.db;
    await db.update(emailPreference).set({ quarantineRetentionDays: 7 });
    const old = await quarantineMessage('old', 'Old one');
    const longAgo = new Date(Date.now() - 8 * 86_400_000);

    // Open entries go once they are older than the retention period…
    await db.update(quarantine).set({ createdAt: longAgo });
    await t.app.services.quarantine.purgeExpired();
    const afterOpen = await db.query.quarantine.findMany();
    expect(afterOpen.length).toBeGreaterThan(0);
    expect(afterOpen.every((r) => r.resolvedAt !== null)).toBe(true); // resolved recently: kept for now
    const oldMessage = await db.query.messages.findFirst({ where: (m, { eq }) => eq(m.id, old.messageRowId) });
    expect(oldMessage!.raw.length).toBe(0);

    // …resolved ones once their resolution is.
    await db.update(quarantine).set({ resolvedAt: longAgo });
    const fresh = await quarantineMessage('fresh', 'Fresh one');
    expect(await t.app.services.quarantine.purgeExpired()).toBe(afterOpen.length);
    expect((await db.query.quarantine.findMany()).map((r) => r.id)).toEqual([fresh.id]);
    const freshMessage = await db.query.messages.findFirst({ where: (m, { eq }) => eq(m.id, fresh.messageRowId) });
    expect(freshMessage!.raw.length).toBeGreaterThan(0);
  });
});
