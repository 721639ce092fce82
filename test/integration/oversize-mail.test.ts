// A message over the size limit is never downloaded whole: IMAP and POP3 (real Dovecot) read the
// size the server declares (RFC822.SIZE, LIST) and fetch only the beginning (BODY.PEEK[]<0.n>,
// TOP n 0); EWS reads Size from the sync and asks for the internet headers; Graph, which
// declares no size, is read as a stream and cut off. Each is quarantined with what was read, its
// real size and the limit named, and the mailbox goes on with the next message.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestApp, type TestApp } from '../testkit/app.ts';
import type { IncomingEmailServerInput } from '../testkit/gql/graphql.ts';
import { getDovecot } from '../testkit/env.ts';
import { FakeEwsServer } from '../testkit/fakes/ews-server.ts';
import { FakeGraphServer } from '../testkit/fakes/graph-server.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

const UpdatePreference = graphql(`mutation OversizeUpdatePreference($input: EmailPreferenceInput!) { updateEmailPreference(input: $input) { __typename } }`);
const Quarantine = graphql(`query OversizeQuarantine($serverId: ID) { quarantinedMessages(serverId: $serverId) { id reason subject from size rawUrl } }`);
const Reprocess = graphql(`mutation OversizeReprocess($id: ID!) { reprocessQuarantinedMessage(id: $id) { __typename ... on QuarantineActionSuccess { result { outcome } } } }`);

const LIMIT = 100 * 1024;
const HEAD = 64 * 1024;

/** A message of about `bytes` whose body is not one long line (POP3's TOP and IMAP count lines alike). */
function bigMail(to: string, subject: string, bytes: number): string {
  const line = `${'0123456789abcdef'.repeat(4)}\r\n`;
  return mail({ from: 'Big Sender <big@customer.example>', to, subject, body: line.repeat(Math.ceil(bytes / line.length)) });
}

describe('mail over the size limit', () => {
  let t: TestApp;
  let ews: FakeEwsServer;
  let graphFake: FakeGraphServer;
  const token = `graph-${randomUUID()}`;

  beforeAll(async () => {
    ews = await FakeEwsServer.start({ basic: { username: 'CONTOSO\\support', password: 'ews-secret' }, mailbox: 'support@ews.example' });
    graphFake = await FakeGraphServer.start({ tokens: [token], mailboxes: ['support@graph.example'] });
    t = await startTestApp();
    await t.admin.execute(UpdatePreference, { input: { maxMessageBytes: LIMIT } });
  });
  afterAll(async () => {
    await t?.stop();
    await ews?.close();
    await graphFake?.close();
  });

  /** Waits for the small message after the big one, then checks the big one's quarantine entry and stored bytes. */
  async function expectQuarantinedHead(serverId: string, subject: string, size: number, opts: { headerOnly?: boolean; exactSize?: boolean } = {}) {
    await waitFor('the next message became a ticket', async () => (await t.ticketSubjects()).includes(`after ${subject}`), 30_000);
    expect(await t.ticketSubjects()).not.toContain(subject);
    const entries = (await t.admin.execute(Quarantine, { serverId })).quarantinedMessages;
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry).toMatchObject({ subject, from: 'big@customer.example' });
    expect(entry.reason).toMatch(new RegExp(`^message is ${opts.exactSize === false ? 'more than ' : ''}\\d+\\.\\d KB, over the 100\\.0 KB limit \\(only its first [\\d.]+ (B|KB) were downloaded\\)$`));
    // The entry tells the message's real size; what is kept (and downloadable) is its beginning.
    expect(entry.size).toBeGreaterThanOrEqual(opts.exactSize === false ? LIMIT : size);
    const res = await fetch(`${t.url}${entry.rawUrl}`, { headers: { authorization: `Bearer ${t.admin.token}` } });
    const kept = Buffer.from(await res.arrayBuffer()).toString('latin1');
    expect(res.status).toBe(200);
    expect(kept.length).toBeLessThanOrEqual(HEAD);
    expect(kept).toContain(`Subject: ${subject}`);
    if (opts.headerOnly) expect(kept).not.toContain('0123456789abcdef');
    // Processing it again from what was stored keeps it quarantined: the stored head is not the message.
    const again = await t.admin.execute(Reprocess, { id: entry.id });
    expect(again.reprocessQuarantinedMessage).toMatchObject({ __typename: 'QuarantineActionSuccess', result: { outcome: 'QUARANTINED' } });
    expect(await t.ticketSubjects()).not.toContain(subject);
  }

  for (const protocol of ['IMAP', 'POP3'] as const) {
    it(`${protocol}: fetches only the beginning of a message whose declared size is over the limit`, async () => {
      const user = `oversize-${protocol.toLowerCase()}-${randomUUID().slice(0, 8)}@example.test`;
      const dovecot = getDovecot();
      await dovecot.addUser(user, 'pw-oversize');
      const subject = `Huge ${protocol} ${randomUUID().slice(0, 6)}`;
      await dovecot.deliver(user, bigMail(user, subject, 400 * 1024));
      await dovecot.deliver(user, mail({ from: 'small@customer.example', to: user, subject: `after ${subject}`, body: 'small' }));
      const input: IncomingEmailServerInput = {
        name: `${protocol} oversize`, email: user, protocol, host: '127.0.0.1', port: protocol === 'IMAP' ? dovecot.ports.imap : dovecot.ports.pop3,
        security: 'NONE', authType: 'BASIC', password: 'pw-oversize', pollIntervalSeconds: 10,
      };
      const { id } = await t.seed.incomingServer(input);
      await expectQuarantinedHead(id, subject, 400 * 1024, { headerOnly: protocol === 'POP3' });
    });
  }

  it('EWS: reads Size from the sync and only the internet headers of an over-size item', async () => {
    const subject = `Huge EWS ${randomUUID().slice(0, 6)}`;
    const big = ews.deliver(bigMail('support@ews.example', subject, 400 * 1024));
    ews.deliver(mail({ from: 'small@customer.example', to: 'support@ews.example', subject: `after ${subject}`, body: 'small' }));
    const { id } = await t.seed.incomingServer({
      name: 'EWS oversize', email: 'support@ews.example', protocol: 'EWS', host: '127.0.0.1', port: ews.port, security: 'NONE',
      ewsUrl: ews.url, authType: 'BASIC', username: 'CONTOSO\\support', password: 'ews-secret', pollIntervalSeconds: 10,
    });
    await expectQuarantinedHead(id, subject, 400 * 1024, { headerOnly: true });
    expect(ews.mimeServed).not.toContain(big);
    expect(ews.mimeServed).toHaveLength(1);
  });

  it('Graph: cuts the download off past the limit', async () => {
    const subject = `Huge Graph ${randomUUID().slice(0, 6)}`;
    graphFake.deliver('support@graph.example', bigMail('support@graph.example', subject, 400 * 1024));
    graphFake.deliver('support@graph.example', mail({ from: 'small@customer.example', to: 'support@graph.example', subject: `after ${subject}`, body: 'small' }));
    const { id } = await t.seed.incomingServer({
      name: 'Graph oversize', email: 'support@graph.example', protocol: 'GRAPH', host: '127.0.0.1', port: graphFake.port, security: 'NONE', authType: 'OAUTH',
      oauth: { clientId: 'c', clientSecret: 's', authorizationUrl: 'https://login.example/authorize', tokenUrl: 'https://login.example/token', scope: 'offline_access', redirectUrl: 'https://mailroom.example/oauth/callback' },
      pollIntervalSeconds: 10,
    });
    await t.app.services.servers.storeOAuthSecrets(id, { clientSecret: 's', accessToken: token, expiresAt: Date.now() + 3600_000 });
    t.app.services.servers.notifyChanged(id);
    await expectQuarantinedHead(id, subject, 400 * 1024, { exactSize: false });
  });
});
