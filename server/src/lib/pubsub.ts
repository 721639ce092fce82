import { createPubSub } from 'graphql-yoga';

/** Event name → payload. Payloads are ids so every subscriber reads the committed row itself. */
export type Events = {
  ticketCreated: [ticketId: string];
  ticketUpdated: [ticketId: string];
  incomingEmailServerUpdated: [serverId: string];
};

export type PubSub = ReturnType<typeof createPubSub<Events>>;

export function createEventBus(): PubSub {
  return createPubSub<Events>();
}
