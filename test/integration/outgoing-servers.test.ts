import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, startTestApp, type TestApp } from '../testkit/app.ts';
import { startSmtpSink, type SmtpSink } from '../testkit/services/smtp-sink.ts';
import { freePorts } from '../testkit/services/util.ts';

const FIELDS = 'id name host port security authType username passwordSet fromAddress fromName allowSelfSignedCertificate enabled primary';
const RESULT = `__typename ... on OutgoingEmailServerSuccess { server { ${FIELDS} } } ... on ValidationError { message fieldErrors { path message } } ... on NotFoundError { message }`;

describe('outgoing email servers', () => {
  let t: TestApp;
  let relay: SmtpSink;
  let tlsRelay: SmtpSink;

  const create = async (input: object) => (await t.admin.execute(`mutation($input: OutgoingEmailServerInput!) { createOutgoingServer(input: $input) { ${RESULT} } }`, { input })).createOutgoingServer;
  const update = async (id: string, input: object) =>
    (await t.admin.execute(`mutation($id: ID!, $input: OutgoingEmailServerInput!) { updateOutgoingServer(id: $id, input: $input) { ${RESULT} } }`, { id, input })).updateOutgoingServer;
  const test = async (id: string) =>
    (await t.admin.execute('mutation($id: ID!) { testOutgoingServerConnection(id: $id) { ok failedStage message causes durationMs stages { stage ok skipped } } }', { id })).testOutgoingServerConnection;
  const list = async () => (await t.admin.execute(`{ outgoingServers { ${FIELDS} } }`)).outgoingServers as { id: string; name: string; primary: boolean }[];

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
    const created = await create({ name: 'Relay', host: '127.0.0.1', security: 'TLS', username: 'relay', password: 'relay-secret', fromAddress: 'support@example.com', fromName: 'Support' });
    expect(created.__typename).toBe('OutgoingEmailServerSuccess');
    expect(created.server).toMatchObject({ port: 587, security: 'TLS', authType: 'BASIC', username: 'relay', passwordSet: true, primary: true, enabled: true });
    expect(JSON.stringify(created)).not.toContain('relay-secret');

    const renamed = await update(created.server.id, { name: 'Relay 2', host: '127.0.0.1', security: 'SSL', fromAddress: 'support@example.com' });
    expect(renamed.server).toMatchObject({ name: 'Relay 2', port: 465, passwordSet: true, username: 'support@example.com' });

    const rows = await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityId, created.server.id), orderBy: (c, { desc }) => [desc(c.at)] });
    expect(rows.map((r) => [r.entityType, r.action])).toEqual([['OutgoingEmailServer', 'UPDATE'], ['OutgoingEmailServer', 'CREATE']]);
    const text = JSON.stringify(rows);
    expect(text).not.toContain('relay-secret');
    expect(text).not.toMatch(/v1:[A-Za-z0-9_-]+:/); // not even the sealed form
    expect((rows[1]!.after as Record<string, unknown>).passwordSealed).toBe('[redacted]');

    await t.admin.execute('mutation($id: ID!) { deleteOutgoingServer(id: $id) { __typename } }', { id: created.server.id });
    const deleted = await t.app.services.db.query.configAudit.findMany({ where: (c, { eq }) => eq(c.entityId, created.server.id) });
    expect(deleted.map((r) => r.action).sort()).toEqual(['CREATE', 'DELETE', 'UPDATE']);
  });

  it('returns every invalid field as a typed error', async () => {
    const bad = await create({ name: '', host: 'not a host', port: 0, fromAddress: 'nobody', authType: 'BASIC' });
    expect(bad.__typename).toBe('ValidationError');
    expect(bad.fieldErrors.map((e: { path: string[] }) => e.path.join('.')).sort()).toEqual(['fromAddress', 'host', 'name', 'port']);
    const noPassword = await create({ name: 'x', host: 'smtp.example.com', fromAddress: 'a@example.com' });
    expect(noPassword.fieldErrors).toEqual([{ path: ['password'], message: 'Enter the password for Basic authentication' }]);
    const missing = await update('00000000-0000-4000-8000-000000000000', { name: 'x', host: 'smtp.example.com', fromAddress: 'a@example.com', authType: 'NONE' });
    expect(missing.__typename).toBe('NotFoundError');
  });

  it('keeps exactly one primary', async () => {
    for (const s of await list()) await t.admin.execute('mutation($id: ID!) { deleteOutgoingServer(id: $id) { __typename } }', { id: s.id });
    const a = (await create({ name: 'A', host: 'a.example.com', authType: 'NONE', fromAddress: 'a@example.com' })).server;
    const b = (await create({ name: 'B', host: 'b.example.com', authType: 'NONE', fromAddress: 'b@example.com' })).server;
    expect([a.primary, b.primary]).toEqual([true, false]);
    expect((await update(b.id, { name: 'B', host: 'b.example.com', authType: 'NONE', fromAddress: 'b@example.com', primary: true })).server.primary).toBe(true);
    expect((await list()).filter((s) => s.primary).map((s) => s.name)).toEqual(['B']);
    const unset = await update(b.id, { name: 'B', host: 'b.example.com', authType: 'NONE', fromAddress: 'b@example.com', primary: false });
    expect(unset.fieldErrors).toEqual([{ path: ['primary'], message: 'One outgoing server is always primary: mark another one as primary instead' }]);
    await t.admin.execute('mutation($id: ID!) { deleteOutgoingServer(id: $id) { __typename } }', { id: b.id });
    expect((await list()).map((s) => [s.name, s.primary])).toEqual([['A', true]]);
    await t.admin.execute('mutation($id: ID!) { deleteOutgoingServer(id: $id) { __typename } }', { id: a.id });
  });

  it('tests the connection: ok, wrong password, closed port, untrusted certificate', async () => {
    const base = { host: '127.0.0.1', username: 'relay', fromAddress: 'support@example.com', security: 'NONE' };
    const good = (await create({ ...base, name: 'Good', port: relay.port, password: 'relay-secret' })).server;
    expect(await test(good.id)).toMatchObject({
      ok: true, failedStage: null, message: null, causes: [],
      stages: [{ stage: 'DNS', ok: true }, { stage: 'TCP', ok: true }, { stage: 'TLS', ok: true, skipped: true }, { stage: 'AUTH', ok: true, skipped: false }],
    });

    const wrong = (await create({ ...base, name: 'Wrong password', port: relay.port, password: 'nope' })).server;
    const auth = await test(wrong.id);
    expect(auth).toMatchObject({ ok: false, failedStage: 'AUTH' });
    expect(auth.message).toBe(`127.0.0.1:${relay.port} refused the user name or password (SMTP 535)`);
    expect(auth.causes).toContain('The user name or password is wrong');

    const [closedPort] = await freePorts(1);
    const closed = (await create({ ...base, name: 'Closed', port: closedPort, password: 'x' })).server;
    const refused = await test(closed.id);
    expect(refused).toMatchObject({ ok: false, failedStage: 'TCP', message: `127.0.0.1 port ${closedPort} refused the connection` });
    expect(refused.causes).toContain(`Wrong security type for port ${closedPort}: SMTP normally uses 465 with SSL and 587 or 25 with STARTTLS (TLS) or None`);
    expect(refused.durationMs).toBeLessThan(10_000);

    const starttls = { ...base, name: 'STARTTLS', port: tlsRelay.port, password: 'relay-secret', security: 'TLS', host: 'localhost' };
    const strict = (await create(starttls)).server;
    const untrusted = await test(strict.id);
    expect(untrusted).toMatchObject({ ok: false, failedStage: 'TLS' });
    expect(untrusted.message).toMatch(/certificate of localhost:\d+ is not trusted \(self-signed\)/);
    expect(untrusted.causes[0]).toBe('Allow self-signed certificates for this server, if you trust it');
    const lenient = (await create({ ...starttls, name: 'STARTTLS lenient', allowSelfSignedCertificate: true })).server;
    expect(await test(lenient.id)).toMatchObject({ ok: true, stages: [{ stage: 'DNS' }, { stage: 'TCP' }, { stage: 'TLS', ok: true, skipped: false }, { stage: 'AUTH', ok: true }] });

    const sslOnPlain = (await create({ ...base, name: 'SSL on a plain port', port: relay.port, password: 'relay-secret', security: 'SSL' })).server;
    const mismatch = await test(sslOnPlain.id);
    expect(mismatch).toMatchObject({ ok: false, failedStage: 'TLS', message: `127.0.0.1:${relay.port} does not speak TLS right away` });
    expect(mismatch.causes[0]).toMatch(/choose TLS \(STARTTLS\)/);

    const missing = await test('00000000-0000-4000-8000-000000000000');
    expect(missing).toMatchObject({ ok: false, message: 'No such outgoing email server' });
  });

  it('refuses addresses the address guard forbids and hides everything from non-admins', async () => {
    const metadata = (await create({ name: 'Metadata', host: '169.254.169.254', authType: 'NONE', fromAddress: 'a@example.com' })).server;
    const guarded = await test(metadata.id);
    expect(guarded).toMatchObject({ ok: false, failedStage: 'DNS' });
    expect(guarded.message).toMatch(/link-local/);

    const anonymous = new GraphQLClient(t.url);
    expect((await anonymous.raw('{ outgoingServers { id } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await t.admin.execute('mutation { createUser(email: "tech-out@mailroom.test", name: "Tech", password: "tech-password") { __typename } }');
    const tech = new GraphQLClient(t.url);
    await tech.signIn('tech-out@mailroom.test', 'tech-password');
    expect((await tech.raw('{ outgoingServers { id } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await tech.raw(`mutation { testOutgoingServerConnection(id: "${metadata.id}") { ok } }`)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('shows the linked outgoing server on an incoming server', async () => {
    const out = (await create({ name: 'Linked', host: 'smtp.example.com', authType: 'NONE', fromAddress: 'help@example.com' })).server;
    const incoming = await t.admin.execute(
      `mutation($input: IncomingEmailServerInput!) { createIncomingEmailServer(input: $input) { ... on IncomingEmailServerSuccess { server { outgoingServer { id name } } } ... on ValidationError { message } } }`,
      { input: { name: 'In', email: 'help@example.com', protocol: 'IMAP', host: 'imap.example.com', password: 'x', enabled: false, outgoingServerId: out.id } },
    );
    expect(incoming.createIncomingEmailServer.server.outgoingServer).toEqual({ id: out.id, name: 'Linked' });
  });
});
