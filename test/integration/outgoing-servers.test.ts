import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';
import type { OutgoingEmailServerInput } from '../testkit/gql/graphql.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';
import { freePorts } from '../testkit/services/util.ts';

graphql(`
  fragment OutgoingFields on OutgoingEmailServer { id name host port security authType username passwordSet fromAddress fromName allowSelfSignedCertificate enabled primary }
`);
graphql(`
  fragment OutgoingResult on OutgoingEmailServerResult {
    __typename ... on OutgoingEmailServerSuccess { server { ...OutgoingFields } } ... on ValidationError { message fieldErrors { path message } } ... on NotFoundError { message }
  }
`);
const Create = graphql(`mutation OutgoingCreate($input: OutgoingEmailServerInput!) { createOutgoingServer(input: $input) { ...OutgoingResult } }`);
const Update = graphql(`mutation OutgoingUpdate($id: ID!, $input: OutgoingEmailServerInput!) { updateOutgoingServer(id: $id, input: $input) { ...OutgoingResult } }`);
const Delete = graphql(`mutation OutgoingDelete($id: ID!) { deleteOutgoingServer(id: $id) { __typename } }`);
const Test = graphql(`mutation OutgoingTest($id: ID!) { testOutgoingServerConnection(id: $id) { ok failedStage message causes durationMs stages { stage ok skipped } } }`);
const List = graphql(`query OutgoingList { outgoingServers { ...OutgoingFields } }`);
const ListIds = graphql(`query OutgoingIds { outgoingServers { id } }`);
const LinkedIncoming = graphql(`
  mutation OutgoingLinkedIncoming($input: IncomingEmailServerInput!) {
    createIncomingEmailServer(input: $input) { __typename ... on IncomingEmailServerSuccess { server { outgoingServer { id name } } } ... on ValidationError { message } }
  }
`);

describe('outgoing email servers', () => {
  let t: TestApp;
  let relay: SmtpSink;
  let tlsRelay: SmtpSink;

  const create = async (input: OutgoingEmailServerInput) => (await t.admin.execute(Create, { input })).createOutgoingServer;
  const created = async (input: OutgoingEmailServerInput) => ok(await create(input), 'OutgoingEmailServerSuccess').server;
  const update = async (id: string, input: OutgoingEmailServerInput) => (await t.admin.execute(Update, { id, input })).updateOutgoingServer;
  const remove = (id: string) => t.admin.execute(Delete, { id });
  const test = async (id: string) => (await t.admin.execute(Test, { id })).testOutgoingServerConnection;
  const list = async () => (await t.admin.execute(List)).outgoingServers;

  beforeAll(async () => {
    [t, relay, tlsRelay] = await Promise.all([
      startTestApp({ pollers: false }),
      startSmtpSink({ auth: { user: 'relay', pass: 'relay-secret' } }),
      startSmtpSink({ auth: { user: 'relay', pass: 'relay-secret' }, security: 'STARTTLS' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t?.stop(), relay?.close(), tlsRelay?.close()]);
  });

  it('creates, fills the port, keeps the password write-only and audits with it redacted', async () => {
    const result = await create({ name: 'Relay', host: '127.0.0.1', security: 'TLS', username: 'relay', password: 'relay-secret', fromAddress: 'support@example.com', fromName: 'Support' });
    const server = ok(result, 'OutgoingEmailServerSuccess').server;
    expect(server).toMatchObject({ port: 587, security: 'TLS', authType: 'BASIC', username: 'relay', passwordSet: true, primary: true, enabled: true });
    expect(JSON.stringify(result)).not.toContain('relay-secret');

    const renamed = ok(await update(server.id, { name: 'Relay 2', host: '127.0.0.1', security: 'SSL', fromAddress: 'support@example.com' }), 'OutgoingEmailServerSuccess');
    expect(renamed.server).toMatchObject({ name: 'Relay 2', port: 465, passwordSet: true, username: 'support@example.com' });

    const rows = await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityId, server.id), orderBy: (c, { desc }) => [desc(c.at)] });
    expect(rows.map((r) => [r.entityType, r.action])).toEqual([['OutgoingEmailServer', 'UPDATE'], ['OutgoingEmailServer', 'CREATE']]);
    const text = JSON.stringify(rows);
    expect(text).not.toContain('relay-secret');
    expect(text).not.toMatch(/v1:[A-Za-z0-9_-]+:/); // not even the sealed form
    expect((rows[1]!.after as Record<string, unknown>).passwordSealed).toBe('[redacted]');

    await remove(server.id);
    const deleted = await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityId, server.id) });
    expect(deleted.map((r) => r.action).sort()).toEqual(['CREATE', 'DELETE', 'UPDATE']);
  });

  it('returns every invalid field as a typed error', async () => {
    const bad = ok(await create({ name: '', host: 'not a host', port: 0, fromAddress: 'nobody', authType: 'BASIC' }), 'ValidationError');
    expect(bad.fieldErrors.map((e) => e.path.join('.')).sort()).toEqual(['fromAddress', 'host', 'name', 'port']);
    const noPassword = ok(await create({ name: 'x', host: 'smtp.example.com', fromAddress: 'a@example.com' }), 'ValidationError');
    expect(noPassword.fieldErrors).toEqual([{ path: ['password'], message: 'Enter the password for Basic authentication' }]);
    const missing = await update('00000000-0000-4000-8000-000000000000', { name: 'x', host: 'smtp.example.com', fromAddress: 'a@example.com', authType: 'NONE' });
    expect(missing.__typename).toBe('NotFoundError');
  });

  it('keeps exactly one primary', async () => {
    for (const s of await list()) await remove(s.id);
    const a = await created({ name: 'A', host: 'a.example.com', authType: 'NONE', fromAddress: 'a@example.com' });
    const b = await created({ name: 'B', host: 'b.example.com', authType: 'NONE', fromAddress: 'b@example.com' });
    expect([a.primary, b.primary]).toEqual([true, false]);
    expect(ok(await update(b.id, { name: 'B', host: 'b.example.com', authType: 'NONE', fromAddress: 'b@example.com', primary: true }), 'OutgoingEmailServerSuccess').server.primary).toBe(true);
    expect((await list()).filter((s) => s.primary).map((s) => s.name)).toEqual(['B']);
    const unset = ok(await update(b.id, { name: 'B', host: 'b.example.com', authType: 'NONE', fromAddress: 'b@example.com', primary: false }), 'ValidationError');
    expect(unset.fieldErrors).toEqual([{ path: ['primary'], message: 'One outgoing server is always primary: mark another one as primary instead' }]);
    await remove(b.id);
    expect((await list()).map((s) => [s.name, s.primary])).toEqual([['A', true]]);
    await remove(a.id);
  });

  it('tests the connection: ok, wrong password, closed port, untrusted certificate', async () => {
    const base = { host: '127.0.0.1', username: 'relay', fromAddress: 'support@example.com', security: 'NONE' } as const;
    const good = await created({ ...base, name: 'Good', port: relay.port, password: 'relay-secret' });
    expect(await test(good.id)).toMatchObject({
      ok: true, failedStage: null, message: null, causes: [],
      stages: [{ stage: 'DNS', ok: true }, { stage: 'TCP', ok: true }, { stage: 'TLS', ok: true, skipped: true }, { stage: 'AUTH', ok: true, skipped: false }],
    });

    const wrong = await created({ ...base, name: 'Wrong password', port: relay.port, password: 'nope' });
    const auth = await test(wrong.id);
    expect(auth).toMatchObject({ ok: false, failedStage: 'AUTH' });
    expect(auth.message).toBe('The server rejected the username or password (SMTP 535)');
    expect(auth.causes).toContain('Wrong username or password');

    const [closedPort] = await freePorts(1);
    const closed = await created({ ...base, name: 'Closed', port: closedPort, password: 'x' });
    const refused = await test(closed.id);
    expect(refused).toMatchObject({ ok: false, failedStage: 'TCP', message: `127.0.0.1 port ${closedPort} refused the connection` });
    expect(refused.causes).toContain(`Wrong security type for port ${closedPort}: SMTP normally uses 465 with SSL and 587 with STARTTLS (TLS) or None`);
    expect(refused.durationMs).toBeLessThan(10_000);

    const starttls = { ...base, name: 'STARTTLS', port: tlsRelay.port, password: 'relay-secret', security: 'TLS', host: 'localhost' } as const;
    const strict = await created(starttls);
    const untrusted = await test(strict.id);
    expect(untrusted).toMatchObject({ ok: false, failedStage: 'TLS' });
    expect(untrusted.message).toBe("The server's certificate is self-signed and not trusted");
    expect(untrusted.causes[0]).toMatch(/if you trust it, turn on "Allow self-signed certificate"/);
    const lenient = await created({ ...starttls, name: 'STARTTLS lenient', allowSelfSignedCertificate: true });
    expect(await test(lenient.id)).toMatchObject({ ok: true, stages: [{ stage: 'DNS' }, { stage: 'TCP' }, { stage: 'TLS', ok: true, skipped: false }, { stage: 'AUTH', ok: true }] });

    const sslOnPlain = await created({ ...base, name: 'SSL on a plain port', port: relay.port, password: 'relay-secret', security: 'SSL' });
    const mismatch = await test(sslOnPlain.id);
    expect(mismatch).toMatchObject({ ok: false, failedStage: 'TLS', message: 'The server did not start a TLS handshake — wrong security type or port?' });
    expect(mismatch.causes[0]).toMatch(/speaks plain SMTP — choose STARTTLS \(TLS\)/);

    const missing = await test('00000000-0000-4000-8000-000000000000');
    expect(missing).toMatchObject({ ok: false, message: 'No such outgoing email server' });
  });

  it('refuses addresses the address guard forbids and hides everything from non-admins', async () => {
    const metadata = await created({ name: 'Metadata', host: '169.254.169.254', authType: 'NONE', fromAddress: 'a@example.com' });
    const guarded = await test(metadata.id);
    expect(guarded).toMatchObject({ ok: false, failedStage: 'DNS' });
    expect(guarded.message).toMatch(/link-local/);

    const anonymous = new GraphQLClient(t.url);
    expect((await anonymous.request(ListIds)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const tech = await (await t.seed.technician({ email: 'tech-out@mailroom.test', name: 'Tech' })).signIn();
    expect((await tech.request(ListIds)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await tech.request(Test, { id: metadata.id })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('shows the linked outgoing server on an incoming server', async () => {
    const out = await created({ name: 'Linked', host: 'smtp.example.com', authType: 'NONE', fromAddress: 'help@example.com' });
    const incoming = await t.admin.execute(
      LinkedIncoming,
      { input: { name: 'In', email: 'help@example.com', protocol: 'IMAP', host: 'imap.example.com', password: 'x', enabled: false, outgoingServerId: out.id } },
    );
    expect(ok(incoming.createIncomingEmailServer, 'IncomingEmailServerSuccess').server.outgoingServer).toEqual({ id: out.id, name: 'Linked' });
  });
});
