// Test Connection on settings not saved yet, and its stages streamed as they run (issue 14,
// items 5 and 14): the drawer's input against the run's Dovecot and an smtp-server, stored
// secrets reused when editing, the address guard, and a subscription whose events come one
// stage at a time — for mailboxes and, with the same stages, for SMTP.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';

const STAGES = 'stages { stage ok skipped message }';
const RESULT = `ok failedStage message causes ${STAGES}`;
const DRAFT = `mutation($input: IncomingEmailServerInput!, $id: ID) { testIncomingEmailServerSettings(input: $input, id: $id) {
  __typename ... on ConnectionSettingsTestSuccess { result { ${RESULT} } } ... on ValidationError { message fieldErrors { path message } } ... on NotFoundError { message } } }`;
const EVENT = `__typename ... on ConnectionTestProgress { running ${STAGES} result { ${RESULT} } } ... on ValidationError { fieldErrors { path message } } ... on NotFoundError { message }`;
const LIVE_INCOMING = `subscription($id: ID, $input: IncomingEmailServerInput) { event: incomingEmailServerConnectionTest(id: $id, input: $input) { ${EVENT} } }`;
const LIVE_OUTGOING = `subscription($id: ID, $input: OutgoingEmailServerInput) { event: outgoingServerConnectionTest(id: $id, input: $input) { ${EVENT} } }`;

interface Event { at: number; event: { __typename: string; running?: string | null; stages?: { stage: string }[]; result?: { ok: boolean; failedStage: string | null; stages: { stage: string; ok: boolean; skipped: boolean }[] } | null } }

describe('Test Connection before saving, stage by stage', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let silent: net.Server;
  const dovecot = getDovecot();
  const user = `live-${randomUUID().slice(0, 8)}@example.test`;
  const password = `pw-${randomUUID().slice(0, 8)}`;
  const mailbox = () => ({ name: 'Support', email: user, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE' });

  /** Every event of one subscription, each with when it arrived. */
  async function live(query: string, variables: Record<string, unknown>): Promise<Event[]> {
    const ws = t.admin.ws();
    const events: Event[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        ws.subscribe<{ event: Event['event'] }>({ query, variables }, {
          next: (v) => (v.errors?.length ? reject(new Error(JSON.stringify(v.errors))) : events.push({ at: performance.now(), event: v.data!.event })),
          error: reject,
          complete: resolve,
        });
      });
    } finally {
      await ws.dispose();
    }
    return events;
  }

  beforeAll(async () => {
    await dovecot.addUser(user, password);
    // Accepts connections and says nothing: the AUTH stage waits for a greeting that never comes.
    silent = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    [t, sink] = await Promise.all([startTestApp({ pollers: false }), startSmtpSink({ auth: { user: 'relay', pass: 'relay-secret' } })]);
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), sink?.close(), new Promise((resolve) => silent?.close(resolve))]);
  });

  it('tests a new mailbox from the drawer’s input, nothing saved', async () => {
    const res = (await t.admin.execute(DRAFT, { input: { ...mailbox(), password } })).testIncomingEmailServerSettings;
    expect(res.__typename).toBe('ConnectionSettingsTestSuccess');
    expect(res.result).toMatchObject({ ok: true, failedStage: null });
    expect(res.result.stages.map((s: { stage: string }) => s.stage)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL']);
    expect((await t.admin.execute('{ incomingEmailServers { id } }')).incomingEmailServers).toEqual([]);
  });

  it('returns every field problem at once instead of testing', async () => {
    const res = (await t.admin.execute(DRAFT, { input: { name: '', email: 'nope', protocol: 'IMAP', host: '' } })).testIncomingEmailServerSettings;
    expect(res.__typename).toBe('ValidationError');
    expect([...new Set(res.fieldErrors.map((e: { path: string[] }) => e.path.join('.')))].sort()).toEqual(['email', 'host', 'name']);
  });

  it('reuses the stored password when editing and the field is left empty; a typed one wins', async () => {
    const created = await t.admin.execute(
      'mutation($input: IncomingEmailServerInput!) { createIncomingEmailServer(input: $input) { ... on IncomingEmailServerSuccess { server { id } } } }',
      { input: { ...mailbox(), password, enabled: false } },
    );
    const id = created.createIncomingEmailServer.server.id;
    const stored = (await t.admin.execute(DRAFT, { id, input: mailbox() })).testIncomingEmailServerSettings;
    expect(stored.result).toMatchObject({ ok: true });
    const typed = (await t.admin.execute(DRAFT, { id, input: { ...mailbox(), password: 'not-the-password' } })).testIncomingEmailServerSettings;
    expect(typed.result).toMatchObject({ ok: false, failedStage: 'AUTH', message: 'The server rejected the username or password' });
    expect(typed.result.causes.join(' ')).not.toMatch(/token/i);
    // Nothing of the draft was saved.
    const saved = await t.admin.execute('query($id: ID!) { incomingEmailServer(id: $id) { host passwordSet } }', { id });
    expect(saved.incomingEmailServer).toEqual({ host: '127.0.0.1', passwordSet: true });
  });

  it('keeps the address guard: a cloud metadata address is refused before any packet', async () => {
    const res = (await t.admin.execute(DRAFT, { input: { ...mailbox(), host: '169.254.169.254', password } })).testIncomingEmailServerSettings;
    expect(res.result).toMatchObject({ ok: false, failedStage: 'DNS' });
    expect(res.result.message).toMatch(/link-local|metadata|not allowed/);
  });

  it('streams each stage as it starts, long before the result', async () => {
    const events = await live(LIVE_INCOMING, { input: { ...mailbox(), port: (silent.address() as net.AddressInfo).port, password } });
    const running = events.filter((e) => e.event.running).map((e) => e.event.running);
    expect(running).toEqual(['DNS', 'TCP', 'TLS', 'AUTH']);
    // Each event carries the stages finished before it.
    expect(events.map((e) => e.event.stages!.length)).toEqual([0, 1, 2, 3, 5]);
    const last = events.at(-1)!;
    expect(last.event).toMatchObject({ __typename: 'ConnectionTestProgress', running: null, result: { ok: false, failedStage: 'AUTH' } });
    // AUTH waited for a greeting for seconds; its "running" event came out before that wait, not with the result.
    const authStarted = events.find((e) => e.event.running === 'AUTH')!;
    expect(last.at - authStarted.at).toBeGreaterThan(1000);
  });

  it('streams a saved server by id, and says so when there is none', async () => {
    const created = await t.admin.execute(
      'mutation($input: IncomingEmailServerInput!) { createIncomingEmailServer(input: $input) { ... on IncomingEmailServerSuccess { server { id } } } }',
      { input: { ...mailbox(), name: 'Saved', password, enabled: false } },
    );
    const events = await live(LIVE_INCOMING, { id: created.createIncomingEmailServer.server.id });
    expect(events.at(-1)!.event.result).toMatchObject({ ok: true });
    expect(events.filter((e) => e.event.running).map((e) => e.event.running)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL']);
    const missing = await live(LIVE_INCOMING, { id: randomUUID() });
    expect(missing.map((e) => e.event)).toEqual([{ __typename: 'NotFoundError', message: 'No such incoming email server' }]);
  });

  it('gives SMTP the same stages, streamed, on unsaved settings', async () => {
    const smtp = { name: 'Relay', host: '127.0.0.1', port: sink.port, security: 'NONE', username: 'relay', fromAddress: 'support@example.test' };
    const ok = await live(LIVE_OUTGOING, { input: { ...smtp, password: 'relay-secret' } });
    expect(ok.filter((e) => e.event.running).map((e) => e.event.running)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH']);
    expect(ok.at(-1)!.event.result).toMatchObject({
      ok: true,
      stages: [{ stage: 'DNS', ok: true }, { stage: 'TCP', ok: true }, { stage: 'TLS', skipped: true }, { stage: 'AUTH', ok: true, skipped: false }],
    });
    const wrong = await live(LIVE_OUTGOING, { input: { ...smtp, password: 'nope' } });
    expect(wrong.at(-1)!.event.result).toMatchObject({ ok: false, failedStage: 'AUTH' });
    const invalid = await live(LIVE_OUTGOING, { input: { ...smtp, host: 'not a host' } });
    expect(invalid.map((e) => e.event.__typename)).toEqual(['ValidationError']);
  });
});
