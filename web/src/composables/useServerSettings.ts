import { ref } from 'vue';
import { useClientHandle } from '@urql/vue';
import { IncomingEmailServerDocument, type IncomingEmailServerFieldsFragment } from '@/graphql/generated/graphql';
import { errorMessage } from '@/lib/errors';

export type ServerSettings = { ok: true; server: IncomingEmailServerFieldsFragment } | { ok: false; message: string };

/**
 * An incoming server's whole settings, read afresh. The servers page lists only what its cards
 * show (a thousand mailboxes' settings made the page slow to open); the editor and the enable
 * switch read the rest of one server when they need it.
 */
export function useServerSettings() {
  const { client } = useClientHandle();
  const reading = ref(false);

  async function read(id: string): Promise<ServerSettings> {
    reading.value = true;
    try {
      const result = await client.query(IncomingEmailServerDocument, { id }, { requestPolicy: 'network-only' }).toPromise();
      const server = result.data?.incomingEmailServer;
      if (server) return { ok: true, server };
      return { ok: false, message: result.error ? errorMessage(result.error) : 'This server no longer exists: it may have been deleted by someone else.' };
    } finally {
      reading.value = false;
    }
  }

  return { read, reading };
}
