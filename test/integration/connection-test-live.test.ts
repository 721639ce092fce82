// Test Connection on settings not saved yet, and its stages streamed as they run (issue 14,
// items 5 and 14): the drawer's input against the run's Dovecot and an smtp-server, stored
// secrets reused when editing, the address guard, and a subscription whose events come one
// stage at a time — for mailboxes and, with the same stages, for SMTP.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput, LiveEventFragment } from '../testkit/gql/graphql.ts';
import { getDovecot } from '../testkit/env.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';

graphql(`fragment LiveResult on ConnectionTestResult { ok failedStage message causes stages { stage ok skipped message } }`);
graphql(`
  fragment LiveEvent on ConnectionTestEvent {
    __typename
    ... on ConnectionTestProgress { running stages { stage } result { ...LiveResult } }
    ... on ValidationError { fieldErrors { path message } }
    ... on NotFoundError { message }
  }
`);
const Draft = graphql(`
  mutation LiveDraft($input: IncomingEmailServerInput!, $id: ID) {
    testIncomingEmailServerSettings(input: $input, id: $id) {
      __typename ... on ConnectionSettingsTestSuccess { result { ...LiveResult } } ... on ValidationError { message fieldErrors { path message } } ... on NotFoundError { message }
    }
  }
`);
const LiveIncoming = graphql(`subscription LiveIncoming($id: ID, $input: IncomingEmailServerInput) { event: incomingEmailServerConnectionTest(id: $id, input: $input) { ...LiveEvent } }`);
const LiveOutgoing = graphql(`subscription LiveOutgoing($id: ID, $input: OutgoingEmailServerInput) { event: outgoingServerConnectionTest(id: $id, input: $input) { ...LiveEvent } }`);
const Saved = graphql(`query LiveSaved($id: ID!) { incomingEmailServer(id: $id) { host passwordSet } }`);
const Servers = graphql(`query LiveServers { incomingEmailServers { id } }`);

type Event = LiveEventFragment;
interface Timed { at: number; event: Event }
const resultOf = (event: Event) => (event.__typename === 'ConnectionTestProgress' ? event.result : null);
const runningOf = (events: Timed[]) => events.flatMap((e) => (e.event.__typename === 'ConnectionTestProgress' && e.event.running ? [e.event.running] : []));

describe('Test Connection before saving, stage by stage', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let silent: net.Server;
  const dovecot = getDovecot();
  const user = `live-${randomUUID().slice(0, 8)}@example.test`;
  const password = `pw-${randomUUID().slice(0, 8)}`;
  const mailbox = (): IncomingEmailServerInput => ({ name: 'Support', email: user, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE' });

  /** Every event of one subscription, each with when it arrived. */
  async function live<V>(document: TypedDocumentNode<{ event: Event }, V>, variables: V): Promise<Timed[]> {
    const ws = t.admin.ws();
    const events: Timed[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        ws.subscribe<{ event: Event }>({ query: print(document), variables: variables as Record<string, unknown> }, {
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
  const draft = async (input: IncomingEmailServerInput, id?: string) => (await t.admin.execute(Draft, { input, id: id ?? null })).testIncomingEmailServerSettings;

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
    const { result } = ok(await draft({ ...mailbox(), password }), 'ConnectionSettingsTestSuccess');
    expect(result).toMatchObject({ ok: true, failedStage: null });
    expect(result.stages.map((s) => s.stage)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL']);
    expect((await t.admin.execute(Servers)).incomingEmailServers).toEqual([]);
  });

  it('returns every field problem at once instead of testing', async () => {
    const res = ok(await draft({ name: '', email: 'nope', protocol: 'IMAP', host: '' }), 'ValidationError');
    expect([...new Set(res.fieldErrors.map((e) => e.path.join('.')))].sort()).toEqual(['email', 'host', 'name', 'password']);
  });

  it('reuses the stored password when editing and the field is left empty; a typed one wins', async () => {
    const { id } = await t.seed.incomingServer({ ...mailbox(), password, enabled: false });
    expect(ok(await draft(mailbox(), id), 'ConnectionSettingsTestSuccess').result).toMatchObject({ ok: true });
    const typed = ok(await draft({ ...mailbox(), password: 'not-the-password' }, id), 'ConnectionSettingsTestSuccess').result;
    expect(typed).toMatchObject({ ok: false, failedStage: 'AUTH', message: 'The server rejected the username or password' });
    expect(typed.causes.join(' ')).not.toMatch(/token/i);
    // Nothing of the draft was saved.
    expect((await t.admin.execute(Saved, { id })).incomingEmailServer).toEqual({ host: '127.0.0.1', passwordSet: true });
  });

  it('keeps the address guard: a cloud metadata address is refused before any packet', async () => {
    const { result } = ok(await draft({ ...mailbox(), host: '169.254.169.254', password }), 'ConnectionSettingsTestSuccess');
    expect(result).toMatchObject({ ok: false, failedStage: 'DNS' });
    expect(result.message).toMatch(/link-local|metadata|not allowed/);
  });

  it('streams each stage as it starts, long before the result', async () => {
    const events = await live(LiveIncoming, { input: { ...mailbox(), port: (silent.address() as net.AddressInfo).port, password } });
    expect(runningOf(events)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH']);
    // Each event carries the stages finished before it.
    expect(events.map((e) => (e.event.__typename === 'ConnectionTestProgress' ? e.event.stages.length : -1))).toEqual([0, 1, 2, 3, 5]);
    const last = events.at(-1)!;
    expect(last.event).toMatchObject({ __typename: 'ConnectionTestProgress', running: null, result: { ok: false, failedStage: 'AUTH' } });
    // AUTH waited for a greeting for seconds; its "running" event came out before that wait, not with the result.
    const authStarted = events.find((e) => e.event.__typename === 'ConnectionTestProgress' && e.event.running === 'AUTH')!;
    expect(last.at - authStarted.at).toBeGreaterThan(1000);
  });

  it('streams a saved server by id, and says so when there is none', async () => {
    const { id } = await t.seed.incomingServer({ ...mailbox(), name: 'Saved', password, enabled: false });
    const events = await live(LiveIncoming, { id });
    expect(resultOf(events.at(-1)!.event)).toMatchObject({ ok: true });
    expect(runningOf(events)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH', 'PROTOCOL']);
    const missing = await live(LiveIncoming, { id: randomUUID() });
    expect(missing.map((e) => e.event)).toEqual([{ __typename: 'NotFoundError', message: 'No such incoming email server' }]);
  });

  it('gives SMTP the same stages, streamed, on unsaved settings', async () => {
    const smtp = { name: 'Relay', host: '127.0.0.1', port: sink.port, security: 'NONE', username: 'relay', fromAddress: 'support@example.test' } as const;
    const good = await live(LiveOutgoing, { input: { ...smtp, password: 'relay-secret' } });
    expect(runningOf(good)).toEqual(['DNS', 'TCP', 'TLS', 'AUTH']);
    expect(resultOf(good.at(-1)!.event)).toMatchObject({
      ok: true,
      stages: [{ stage: 'DNS', ok: true }, { stage: 'TCP', ok: true }, { stage: 'TLS', skipped: true }, { stage: 'AUTH', ok: true, skipped: false }],
    });
    const wrong = await live(LiveOutgoing, { input: { ...smtp, password: 'nope' } });
    expect(resultOf(wrong.at(-1)!.event)).toMatchObject({ ok: false, failedStage: 'AUTH' });
    const invalid = await live(LiveOutgoing, { input: { ...smtp, host: 'not a host' } });
    expect(invalid.map((e) => e.event.__typename)).toEqual(['ValidationError']);
  });
});
