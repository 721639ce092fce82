// Mailboxes behind a proxy (SPEC §2/§3): IMAP and POP3 through Dante (SOCKS5) and tinyproxy
// (HTTP CONNECT), proven from each proxy's own log; Test Connection through a proxy and against
// a refusing one; proxy CRUD with a write-only password and redacted audit entries.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../testkit/connection-test.ts';
import { testConnection } from '../../server/src/mail/connection-test/connection-test.ts';
import { resolveMailRoute } from '../../server/src/mail/mail-route.ts';
import { listConfigChanges } from '../../server/src/modules/config-audit/config-audit.service.ts';
import { GraphQLClient, graphql, ok, startTestApp, type TestApp } from '../testkit/app.ts';
import { getDovecot } from '../testkit/env.ts';
import { startDante, startTinyproxy, type ProxyHandle } from '../testkit/services/proxies.ts';
import { waitFor } from '../testkit/services/util.ts';
import { mail } from '../testkit/mail.ts';
import { DeleteIncomingServer } from '../testkit/seed.ts';

graphql(`fragment ProxyFields on ProxyServer { id name type host port username passwordSet }`);
const CREATE_PROXY = graphql(`
  mutation ProxyCreate($input: ProxyServerInput!) {
    createProxyServer(input: $input) { __typename ... on ProxyServerSuccess { proxyServer { ...ProxyFields } } ... on ValidationError { message fieldErrors { path message } } }
  }
`);
const UPDATE_PROXY = graphql(`
  mutation ProxyUpdate($id: ID!, $input: ProxyServerInput!) {
    updateProxyServer(id: $id, input: $input) { __typename ... on ProxyServerSuccess { proxyServer { ...ProxyFields } } ... on ValidationError { message fieldErrors { path message } } }
  }
`);
const DELETE_PROXY = graphql(`mutation ProxyDelete($id: ID!) { deleteProxyServer(id: $id) { __typename ... on DeleteSuccess { id } ... on Error { message } } }`);
const LIST_PROXIES = graphql(`query ProxyList { proxyServers { ...ProxyFields } }`);
const HEALTH = graphql(`query ProxyHealth($id: ID!) { incomingEmailServer(id: $id) { health { connectionState lastError { kind message } } } }`);
async function newMailbox() {
  const user = `px-${randomUUID().slice(0, 8)}@example.test`;
  const password = `pw-${randomUUID().slice(0, 8)}`;
  await getDovecot().addUser(user, password);
  return { user, password };
}

/** How each proxy logs a tunnel to 127.0.0.1:port. */
function tunnelled(proxy: ProxyHandle, log: string, port: number): boolean {
  return proxy.kind === 'SOCKS5'
    ? log.includes(`tcp/connect [: `) && log.includes(`127.0.0.1.${port}`)
    : log.includes(`CONNECT 127.0.0.1:${port} `);
}

describe('mailboxes behind a proxy', () => {
  let t: TestApp;
  let dante: ProxyHandle;
  let tinyproxy: ProxyHandle;
  const proxyIds: Record<'SOCKS5' | 'HTTP', string> = { SOCKS5: '', HTTP: '' };

  beforeAll(async () => {
    [dante, tinyproxy, t] = await Promise.all([startDante(), startTinyproxy(), startTestApp()]);
    proxyIds.SOCKS5 = (await t.seed.proxyServer({ name: 'Dante', type: 'SOCKS5', host: '127.0.0.1', port: dante.port })).id;
    proxyIds.HTTP = (await t.seed.proxyServer({ name: 'Tinyproxy', type: 'HTTP', host: 'localhost', port: tinyproxy.port })).id;
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([dante?.stop(), tinyproxy?.stop()]);
  });

  const cases = [
    { protocol: 'IMAP', via: 'SOCKS5' },
    { protocol: 'POP3', via: 'SOCKS5' },
    { protocol: 'IMAP', via: 'HTTP' },
    { protocol: 'POP3', via: 'HTTP' },
  ] as const;

  for (const { protocol, via } of cases) {
    it(`${protocol} through ${via === 'SOCKS5' ? 'Dante (SOCKS5)' : 'tinyproxy (HTTP CONNECT)'}: the ticket arrives and the proxy logged the tunnel`, async () => {
      const proxy = via === 'SOCKS5' ? dante : tinyproxy;
      const dovecot = getDovecot();
      const box = await newMailbox();
      const subject = `${protocol} via ${via}`;
      // Waiting before the first connect: POP3 takes it in its first poll, IMAP as unread backlog.
      await dovecot.deliver(box.user, mail({ from: 'proxied@customer.example', to: box.user, subject, body: 'through the proxy' }));
      const port = protocol === 'IMAP' ? dovecot.ports.imaps : dovecot.ports.pop3s;
      const id = (await t.seed.incomingServer({
        name: subject, email: box.user, protocol, host: '127.0.0.1', port, security: 'SSL', password: box.password,
        allowSelfSignedCertificate: true, proxyServerId: proxyIds[via],
      })).id;
      await waitFor('ticket through the proxy', async () => (await t.ticketSubjects(id)).includes(subject), 20_000);
      await waitFor('tunnel in the proxy log', async () => tunnelled(proxy, await proxy.log(), port), 5000);

      const test = await t.testConnection(id);
      expect(test.ok, JSON.stringify(test)).toBe(true);
      expect(test.stages[1]!.message).toContain(`through proxy "${via === 'SOCKS5' ? 'Dante' : 'Tinyproxy'}"`);
    });
  }

  it('a refusing proxy: Test Connection fails at TCP naming the proxy, and the mailbox goes to connectError (never direct)', async () => {
    const box = await newMailbox();
    const refusing = await t.seed.proxyServer({ name: 'Closed proxy', type: 'SOCKS5', host: '127.0.0.1', port: await closedPort() });
    const id = (await t.seed.incomingServer({
      name: 'Behind a closed proxy', email: box.user, protocol: 'POP3', host: '127.0.0.1', port: getDovecot().ports.pop3s, security: 'SSL',
      password: box.password, allowSelfSignedCertificate: true, proxyServerId: refusing.id,
    })).id;
    const test = await t.testConnection(id);
    expect(test).toMatchObject({ ok: false, failedStage: 'TCP' });
    expect(test.message).toMatch(/^The proxy "Closed proxy" \(127\.0\.0\.1:\d+\) refused the connection$/);
    expect(test.causes[0]).toMatch(/proxy server is not running/);
    await waitFor('connectError', async () => (await t.admin.execute(HEALTH, { id })).incomingEmailServer?.health.connectionState === 'connectError', 20_000);
    const health = (await t.admin.execute(HEALTH, { id })).incomingEmailServer!.health;
    expect(health.lastError).toMatchObject({ kind: 'NETWORK' });
    expect(health.lastError?.message).toContain('"Closed proxy"');
  });

  it('a proxy that was stopped: Test Connection fails at TCP naming it, for IMAP and over HTTP CONNECT too', async () => {
    const stopped = await startTinyproxy();
    const proxy = await t.seed.proxyServer({ name: 'Stopped tinyproxy', type: 'HTTP', host: '127.0.0.1', port: stopped.port });
    await stopped.stop();
    const box = await newMailbox();
    const id = (await t.seed.incomingServer({
      name: 'Behind a stopped proxy', email: box.user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imaps, security: 'SSL',
      password: box.password, allowSelfSignedCertificate: true, proxyServerId: proxy.id, enabled: false,
    })).id;
    const test = await t.testConnection(id);
    expect(test).toMatchObject({ ok: false, failedStage: 'TCP' });
    expect(test.message).toContain('The proxy "Stopped tinyproxy"');
  });

  it('a proxy that cannot reach the mail port: Test Connection fails at TCP saying so', async () => {
    const box = await newMailbox();
    const id = (await t.seed.incomingServer({
      name: 'Wrong port behind Dante', email: box.user, protocol: 'POP3', host: '127.0.0.1', port: await closedPort(), security: 'SSL',
      password: box.password, allowSelfSignedCertificate: true, proxyServerId: proxyIds.SOCKS5, enabled: false,
    })).id;
    const test = await t.testConnection(id);
    expect(test).toMatchObject({ ok: false, failedStage: 'TCP' });
    expect(test.message).toMatch(/^The proxy "Dante" \(127\.0\.0\.1:\d+\) could not open a connection to 127\.0\.0\.1 port \d+$/);
  });

  it('proxy CRUD: typed validation errors, write-only password, refusal to delete a proxy in use, redacted audit trail', async () => {
    const bad = await t.admin.execute(CREATE_PROXY, { input: { name: ' ', type: 'HTTP', host: 'http://proxy.example.com', port: 70000, username: 'a:b' } });
    expect(ok(bad.createProxyServer, 'ValidationError').fieldErrors.map((e) => e.path.join('.')).sort()).toEqual(['host', 'name', 'port', 'username']);
    const duplicate = await t.admin.execute(CREATE_PROXY, { input: { name: 'dante', type: 'SOCKS5', host: '127.0.0.1', port: 1080 } });
    expect(ok(duplicate.createProxyServer, 'ValidationError').fieldErrors).toEqual([expect.objectContaining({ path: ['name'] })]);

    const secret = `proxy-secret-${randomUUID()}`;
    const created = await t.seed.proxyServer({ name: 'Corporate', type: 'HTTP', host: 'proxy.corp.example', port: 3128, username: 'svc-mail', password: secret });
    expect(created).toMatchObject({ type: 'HTTP', host: 'proxy.corp.example', port: 3128, username: 'svc-mail', passwordSet: true });
    const listed = await t.admin.execute(LIST_PROXIES);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed.proxyServers.map((p) => p.name)).toEqual(expect.arrayContaining(['Corporate', 'Dante', 'Tinyproxy']));

    const keep = await t.admin.execute(UPDATE_PROXY, { id: created.id, input: { name: 'Corporate', type: 'HTTP', host: 'proxy.corp.example', port: 8080, username: 'svc-mail' } });
    expect(ok(keep.updateProxyServer, 'ProxyServerSuccess').proxyServer).toMatchObject({ port: 8080, passwordSet: true });
    expect((await t.app.services.proxies.config(created.id))?.password).toBe(secret);
    const cleared = await t.admin.execute(UPDATE_PROXY, { id: created.id, input: { name: 'Corporate', type: 'HTTP', host: 'proxy.corp.example', port: 8080, username: 'svc-mail', password: '' } });
    expect(ok(cleared.updateProxyServer, 'ProxyServerSuccess').proxyServer.passwordSet).toBe(false);

    const box = await newMailbox();
    const serverId = (await t.seed.incomingServer({
      name: 'Uses Corporate', email: box.user, protocol: 'IMAP', host: '127.0.0.1', port: getDovecot().ports.imap, security: 'NONE',
      password: box.password, proxyServerId: created.id, enabled: false,
    })).id;
    const refused = await t.admin.execute(DELETE_PROXY, { id: created.id });
    expect(ok(refused.deleteProxyServer, 'InUseError').message).toContain('1 incoming email server (Uses Corporate)');
    await t.admin.execute(DeleteIncomingServer, { id: serverId });
    expect((await t.admin.execute(DELETE_PROXY, { id: created.id })).deleteProxyServer).toEqual({ __typename: 'DeleteSuccess', id: created.id });
    expect((await t.admin.execute(DELETE_PROXY, { id: created.id })).deleteProxyServer.__typename).toBe('NotFoundError');

    const audit = (await listConfigChanges(t.app.services.db, 500)).filter((c) => c.entityType === 'ProxyServer' && c.entityId === created.id);
    expect(audit.map((c) => c.action).sort()).toEqual(['CREATE', 'DELETE', 'UPDATE', 'UPDATE']);
    expect(JSON.stringify(audit)).not.toContain(secret);
    const create = audit.find((c) => c.action === 'CREATE')!;
    expect(create.after).toMatchObject({ name: 'Corporate', username: 'svc-mail', passwordSealed: '[redacted]' });
    expect(create.actorUserId).toBeTruthy();

    const anonymous = await new GraphQLClient(t.url).request(LIST_PROXIES);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('the address guard applies to the proxy host too', () => {
  const metadataProxy = { name: 'Sneaky', type: 'SOCKS5' as const, host: '169.254.169.254', port: 1080 };

  it('Test Connection refuses a proxy at a metadata address at DNS, naming the proxy, before any packet', async () => {
    const dovecot = getDovecot();
    const result = await testConnection(
      { protocol: 'POP3', host: dovecot.host, port: dovecot.ports.pop3s, security: 'SSL', allowSelfSignedCertificate: true, username: 'x', password: 'y', proxy: metadataProxy },
      { allowLoopback: true },
    );
    expect(result).toMatchObject({ ok: false, failedStage: 'DNS' });
    expect(result.message).toMatch(/^The proxy "Sneaky": 169\.254\.169\.254 is a link-local address/);
    expect(result.stages[1]).toMatchObject({ stage: 'TCP', skipped: true });
  });

  it('connectors refuse it too, and a loopback proxy unless loopback is allowed', async () => {
    await expect(resolveMailRoute('127.0.0.1', metadataProxy, { allowLoopback: true })).rejects.toMatchObject({ kind: 'NETWORK', message: expect.stringContaining('proxy "Sneaky"') });
    const local = { ...metadataProxy, name: 'Local', host: 'proxy.internal' };
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(resolveMailRoute('192.0.2.10', local, { allowLoopback: false, lookup })).rejects.toMatchObject({ message: expect.stringContaining('proxy "Local"') });
    expect(await resolveMailRoute('192.0.2.10', local, { allowLoopback: true, lookup })).toEqual({ address: '192.0.2.10', proxy: { ...local, host: '127.0.0.1' } });
  });
});
