// Tickets from real mail, for the suites that work them (replies, search, visibility): a Dovecot
// mailbox read by Mailroom over IMAP IDLE, mail delivered to it over LMTP, and a wait for the
// ticket (or reply) it becomes.
import { randomUUID } from 'node:crypto';
import { graphql, type GraphQLClient, type TestApp } from './app.ts';
import { getDovecot } from './env.ts';
import type { IncomingEmailServerInput } from './gql/graphql.ts';
import { mail } from './mail.ts';
import { waitFor } from './services/util.ts';

const TicketsOfMailbox = graphql(`
  query TestKitTicketsOfMailbox($serverId: ID!) {
    tickets(first: 200, filter: { incomingEmailServerId: $serverId }, orderBy: CREATED) { nodes { id number subject status } }
  }
`);
const ConversationLength = graphql(`query TestKitConversationLength($id: ID!) { ticket(id: $id) { id messages { id } } }`);

type Mail = Omit<Parameters<typeof mail>[0], 'to'>;

export interface TicketMailbox {
  id: string;
  address: string;
  /** Delivers a message (LMTP) and resolves with its Message-ID. */
  deliver(opts: Mail): Promise<string>;
  /** Delivers a message and waits for the ticket it opens. */
  newTicket(opts: Omit<Mail, 'messageId'>): Promise<{ id: string; number: string; subject: string; messageId: string }>;
  /** Delivers a message and waits until ticket `ticketId` has one more message. */
  reply(ticketId: string, opts: Omit<Mail, 'messageId'>): Promise<string>;
}

/** A mailbox Mailroom reads in real time; `input` adds to (or overrides) the server's settings. */
export async function ticketMailbox(t: TestApp, input: Partial<IncomingEmailServerInput> = {}): Promise<TicketMailbox> {
  const dovecot = getDovecot();
  const address = `desk-${randomUUID().slice(0, 8)}@example.test`;
  await dovecot.addUser(address, 'pw');
  const { id } = await t.seed.incomingServer({
    name: address, email: address, protocol: 'IMAP', host: '127.0.0.1', port: dovecot.ports.imap, security: 'NONE', password: 'pw', realTimeScanning: true, ...input,
  });
  await waitFor('the mailbox connected', async () => (await t.health(id)).connectionState === 'connected', 20_000);
  const ticketsHere = async () => (await t.admin.execute(TicketsOfMailbox, { serverId: id })).tickets.nodes;
  const deliver: TicketMailbox['deliver'] = async (opts) => {
    const messageId = opts.messageId ?? `<${randomUUID()}@customer.example>`;
    await dovecot.deliver(address, mail({ ...opts, to: address, messageId }));
    return messageId;
  };
  return {
    id, address, deliver,
    async newTicket(opts) {
      const before = new Set((await ticketsHere()).map((n) => n.id));
      const messageId = await deliver(opts);
      let found: { id: string; number: string; subject: string } | undefined;
      await waitFor(`a ticket for "${opts.subject}"`, async () => Boolean((found = (await ticketsHere()).find((n) => !before.has(n.id)))), 20_000);
      return { ...found!, messageId };
    },
    async reply(ticketId, opts) {
      const count = await conversationLength(t.admin, ticketId);
      const messageId = await deliver(opts);
      await waitFor('the reply on its ticket', async () => (await conversationLength(t.admin, ticketId)) > count, 20_000);
      return messageId;
    },
  };
}

export async function conversationLength(client: GraphQLClient, ticketId: string): Promise<number> {
  return (await client.execute(ConversationLength, { id: ticketId })).ticket?.messages.length ?? 0;
}
