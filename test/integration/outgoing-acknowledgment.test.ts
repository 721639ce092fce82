// queueAcknowledgment (what the ingest transaction calls for a new ticket) and the outbound worker,
// against a real database and a real SMTP server.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requesters, tickets } from '../../server/src/db/schema.ts';
import { createLogger } from '../../server/src/lib/logger.ts';
import { parseMessage } from '../../server/src/ingest/parse.ts';
import { OutboundWorker } from '../../server/src/mail/outbound/outbound-worker.ts';
import { BatchLookups } from '../../server/src/ingest/lookups.ts';
import { queueAcknowledgment, type QueuedAcknowledgment } from '../../server/src/ingest/steps/acknowledge.ts';
import { graphql, startTestApp, type TestApp } from '../testkit/app.ts';
import type { OutboundMailStatus, OutgoingEmailServerInput } from '../testkit/gql/graphql.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';
import { freePorts } from '../testkit/services/util.ts';

const Outbound = graphql(`
  query AckOutbound($s: OutboundMailStatus) {
    outboundMail(status: $s, first: 100) {
      id kind toAddress subject messageId status attempts nextAttemptAt lastError sentAt ticket { id number } outgoingServer { id name }
    }
  }
`);
const Conversation = graphql(`query AckConversation($id: ID!) { ticket(id: $id) { messages { messageId subject from sentAt } } }`);
const Retry = graphql(`
  mutation AckRetry($id: ID!) { retryOutboundMail(id: $id) { __typename ... on OutboundMailSuccess { mail { status attempts } } ... on Error { message } } }
`);
const UpdateOutgoing = graphql(`
  mutation AckUpdateOutgoing($id: ID!, $input: OutgoingEmailServerInput!) { updateOutgoingServer(id: $id, input: $input) { __typename } }
`);
const DeleteOutgoing = graphql(`
  mutation AckDeleteOutgoing($id: ID!, $replacementId: ID) {
    deleteOutgoingServer(id: $id, replacementId: $replacementId) { __typename ... on InUseError { usages { kind count } } }
  }
`);

describe('acknowledgments', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let incoming: { id: string; name: string; email: string; outgoingServerId: string | null };
  let outgoingId: string;

  async function newTicket(subject: string, requester: string) {
    const db = t.app.services.db;
    await db.insert(requesters).values({ email: requester }).onConflictDoNothing();
    const person = (await db.query.requesters.findFirst({ where: (r, { eq }) => eq(r.email, requester) }))!;
    const [ticket] = await db.insert(tickets).values({ subject, description: 'body', requesterId: person.id, incomingServerId: incoming.id }).returning();
    return ticket!;
  }

  async function queue(subject: string, from = `ada-${randomUUID().slice(0, 6)}@customer.example`, server = incoming): Promise<QueuedAcknowledgment & { ticket: { id: string; number: number } }> {
    const ticket = await newTicket(subject, from);
    const parsed = await parseMessage(Buffer.from([
      `From: Ada Lovelace <${from}>`, `To: ${incoming.email}`, `Subject: ${subject}`, `Message-ID: <${randomUUID()}@customer.example>`,
      'References: <older@customer.example>', '', 'Please help', '',
    ].join('\r\n')));
    const queued = await t.app.services.db.transaction((tx) =>
      queueAcknowledgment(tx, new BatchLookups(tx, t.app.services.mailIdentity), { ticket, server, parsedMessage: parsed, identity: t.app.services.mailIdentity, templates: { subject: null, body: null } }));
    return { ...queued, ticket };
  }

  const outbound = async (status?: OutboundMailStatus) => (await t.admin.execute(Outbound, { s: status ?? null })).outboundMail;
  const updateOutgoing = (id: string, input: OutgoingEmailServerInput) => t.admin.execute(UpdateOutgoing, { id, input });
  const mailById = async (id: string) => (await outbound()).find((m) => m.id === id)!;

  beforeAll(async () => {
    [t, sink] = await Promise.all([startTestApp({ pollers: false }), startSmtpSink({ auth: { user: 'relay', pass: 'relay-secret' } })]);
    outgoingId = (await t.seed.outgoingServer({
      name: 'Relay', host: '127.0.0.1', port: sink.port, security: 'NONE', username: 'relay', password: 'relay-secret', fromAddress: 'support@example.com', fromName: 'Example Support',
    })).id;
    incoming = await t.seed.incomingServer({ name: 'Support', email: 'support@example.com', protocol: 'IMAP', host: 'imap.example.com', password: 'x', enabled: false });
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), sink?.close()]);
  });

  it('queues in the transaction, sends after it, with the headers that thread and stop loops', async () => {
    const queued = await queue('Printer on fire');
    if (!queued.queued) throw new Error(queued.reason);
    expect(queued.outgoingServerId).toBe(outgoingId);
    expect(sink.received).toHaveLength(0);
    expect((await mailById(queued.outboundMailId)).status).toBe('PENDING');

    expect(await t.app.services.outboundWorker.runOnce()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    const [received] = await sink.waitFor(1);
    const { parsed } = received!;
    expect(received!.user).toBe('relay');
    expect(received!.envelope).toEqual({ from: 'support@example.com', to: [expect.stringMatching(/@customer\.example$/)] });
    expect(parsed.subject).toBe(`[#REQ-${queued.ticket.number}] Printer on fire`);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.headers.get('x-loop')).toBe(t.app.services.mailIdentity.loopValue);
    expect(parsed.messageId).toBe(queued.messageId);
    expect(t.app.services.mailIdentity.messageIdDomain).toMatch(/^mr-[0-9a-f]{12}\.mailroom\.local$/);
    expect(parsed.messageId).toBe(`<req-${queued.ticket.number}.${parsed.messageId!.split('.')[1]!.split('@')[0]}@${t.app.services.mailIdentity.messageIdDomain}>`);
    expect(parsed.inReplyTo).toMatch(/@customer\.example>$/);
    expect(parsed.references).toEqual(['<older@customer.example>', parsed.inReplyTo]);

    const sent = await mailById(queued.outboundMailId);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1, lastError: null, nextAttemptAt: null, kind: 'ACKNOWLEDGMENT', ticket: { id: queued.ticket.id }, outgoingServer: { id: outgoingId } });
    expect(sent.sentAt).not.toBeNull();

    // The OUTBOUND message row carries the Message-ID a reply's In-Reply-To names.
    const conversation = await t.admin.execute(Conversation, { id: queued.ticket.id });
    expect(conversation.ticket!.messages).toEqual([{ messageId: queued.messageId, subject: parsed.subject, from: 'support@example.com', sentAt: expect.any(String) }]);
    const row = await t.app.services.db.query.messages.findFirst({ where: (m, { eq }) => eq(m.id, queued.messageRowId) });
    expect(row).toMatchObject({ direction: 'OUTBOUND', ticketId: queued.ticket.id, messageId: queued.messageId });
  });

  it('retries a 4xx with backoff and records every attempt', async () => {
    sink.failNext(2);
    const before = sink.received.length;
    const queued = await queue('Greylisted');
    if (!queued.queued) throw new Error(queued.reason);
    const worker = t.app.services.outboundWorker;
    const now = Date.now();

    expect(await worker.runOnce(new Date(now))).toEqual({ sent: 0, retrying: 1, failed: 0 });
    let m = await mailById(queued.outboundMailId);
    expect(m).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(m.lastError).toBe(`127.0.0.1 port ${sink.port} refused for now the message (SMTP 451 4.3.0); attempt 1 of 6, next in 1 min`);
    expect(new Date(m.nextAttemptAt!).getTime() - now).toBe(60_000);

    expect(await worker.runOnce(new Date(now + 30_000))).toEqual({ sent: 0, retrying: 0, failed: 0 }); // not due yet
    expect(await worker.runOnce(new Date(now + 60_000))).toEqual({ sent: 0, retrying: 1, failed: 0 });
    m = await mailById(queued.outboundMailId);
    expect(m).toMatchObject({ status: 'PENDING', attempts: 2 });
    expect(m.lastError).toMatch(/attempt 2 of 6, next in 5 min$/);
    expect(new Date(m.nextAttemptAt!).getTime() - now).toBe(60_000 + 5 * 60_000);

    expect(await worker.runOnce(new Date(now + 6 * 60_000))).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect((await mailById(queued.outboundMailId))).toMatchObject({ status: 'SENT', attempts: 3, lastError: null });
    await sink.waitFor(before + 1);
    expect(sink.received.at(-1)!.parsed.subject).toBe(`[#REQ-${queued.ticket.number}] Greylisted`);
  });

  it('fails a permanent refusal at once, says why, and lets an admin retry it', async () => {
    const from = `gone-${randomUUID().slice(0, 6)}@customer.example`;
    sink.rejectRecipient(from);
    const failures: string[] = [];
    t.app.services.outboundWorker.onFailure((m) => failures.push(m.id));
    const queued = await queue('Nobody home', from);
    if (!queued.queued) throw new Error(queued.reason);
    expect(await t.app.services.outboundWorker.runOnce()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    expect(failures).toEqual([queued.outboundMailId]);

    const failed = await outbound('FAILED');
    expect(failed).toEqual([expect.objectContaining({
      id: queued.outboundMailId, status: 'FAILED', attempts: 1, toAddress: from, nextAttemptAt: null,
      lastError: `127.0.0.1 port ${sink.port} refused the recipient ${from} (SMTP 550 5.1.1); not retried: the server refused it for good`,
    })]);

    const retried = await t.admin.execute(Retry, { id: queued.outboundMailId });
    expect(retried.retryOutboundMail).toEqual({ __typename: 'OutboundMailSuccess', mail: { status: 'PENDING', attempts: 0 } });
    const again = await t.admin.execute(Retry, { id: queued.outboundMailId });
    expect(again.retryOutboundMail).toEqual({ __typename: 'ValidationError', message: 'This mail is still queued' });
    expect(await t.app.services.outboundWorker.runOnce()).toEqual({ sent: 0, retrying: 0, failed: 1 }); // still refused
    expect(failures).toEqual([queued.outboundMailId, queued.outboundMailId]);
  });

  it('gives up after the last attempt, and never loses mail whose server is gone', async () => {
    const worker = new OutboundWorker(t.app.services.db, t.app.services.outgoingServers, createLogger('silent'), { allowLoopback: true, retryDelaysMs: [0, 0] });
    sink.failNext(3);
    const queued = await queue('Always busy');
    if (!queued.queued) throw new Error(queued.reason);
    // No wait between attempts here: each run makes the next attempt.
    for (const expected of [{ retrying: 1, failed: 0 }, { retrying: 1, failed: 0 }, { retrying: 0, failed: 1 }]) {
      expect(await worker.runOnce()).toEqual({ sent: 0, ...expected });
    }
    const m = await mailById(queued.outboundMailId);
    expect(m).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(m.lastError).toBe(`127.0.0.1 port ${sink.port} refused for now the message (SMTP 451 4.3.0); gave up after 3 attempts`);

    // A closed port is a retry, with the cause in our words.
    const [closedPort] = await freePorts(1);
    const deadId = (await t.seed.outgoingServer({ name: 'Dead', host: '127.0.0.1', port: closedPort, security: 'NONE', authType: 'NONE', fromAddress: 'support@example.com' })).id;
    const viaDead = await queue('Via a dead relay', undefined, { ...incoming, outgoingServerId: deadId });
    if (!viaDead.queued) throw new Error(viaDead.reason);
    expect(viaDead.outgoingServerId).toBe(deadId);
    await t.app.services.outboundWorker.runOnce();
    expect((await mailById(viaDead.outboundMailId)).lastError).toBe(`127.0.0.1 port ${closedPort} refused the connection; attempt 1 of 6, next in 1 min`);

    // Its server is not deleted while mail waits for it, only replaced (here by the relay, then
    // disabled along with every other): FAILED with the reason, not dropped.
    expect((await t.admin.execute(DeleteOutgoing, { id: deadId })).deleteOutgoingServer).toEqual({ __typename: 'InUseError', usages: [{ kind: 'QUEUED_MAIL', count: 1 }] });
    expect((await t.admin.execute(DeleteOutgoing, { id: deadId, replacementId: outgoingId })).deleteOutgoingServer.__typename).toBe('DeleteSuccess');
    await updateOutgoing(outgoingId, { name: 'Relay', host: '127.0.0.1', port: sink.port, security: 'NONE', username: 'relay', fromAddress: 'support@example.com', enabled: false });
    await t.app.services.outboundWorker.runOnce(new Date(Date.now() + 61_000));
    const orphan = await mailById(viaDead.outboundMailId);
    expect(orphan).toMatchObject({ status: 'FAILED', attempts: 2, outgoingServer: { id: outgoingId } });
    expect(orphan.lastError).toMatch(/^No outgoing email server to send through/);

    // With no enabled server at all nothing is queued.
    const skipped = await queue('No relay');
    expect(skipped).toMatchObject({ queued: false, reason: 'no outgoing email server: the mailbox links none and there is no enabled primary' });
    await updateOutgoing(outgoingId, { name: 'Relay', host: '127.0.0.1', port: sink.port, security: 'NONE', username: 'relay', fromAddress: 'support@example.com', enabled: true });
  });

  it("never acknowledges Mailroom's own address", async () => {
    const own = await queue('Echo', 'support@example.com');
    expect(own).toMatchObject({ queued: false, reason: "the sender support@example.com is Mailroom's own address" });
  });

  it('sends from the app once the worker runs on its own', async () => {
    sink.failNext(0);
    const before = sink.received.length;
    const queued = await queue('Background send');
    if (!queued.queued) throw new Error(queued.reason);
    t.app.services.outboundWorker.start();
    try {
      t.app.services.outboundWorker.kick();
      await sink.waitFor(before + 1);
    } finally {
      await t.app.services.outboundWorker.stop();
    }
    expect(sink.received.at(-1)!.parsed.messageId).toBe(queued.messageId);
  });
});
