// A graphql-ws connection spoken by hand (no client library to tidy it up), for the tests that
// act as a hostile or careless client: it records every message and how the socket closes.
import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  /** Every message received since connection_ack, parsed. */
  messages: { type: string; id?: string; payload?: unknown }[];
  closed: Promise<{ code: number; at: number }>;
  send(message: Record<string, unknown>): void;
}

/** Opens /graphql, authenticated by a token in connection_init or by the session cookie of the upgrade; resolves at connection_ack. */
export async function openGraphqlSocket(url: string, auth: { token?: string; cookie?: string }): Promise<RawSocket> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', auth.cookie ? { headers: { cookie: auth.cookie } } : {});
  const messages: RawSocket['messages'] = [];
  const closed = new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
  ws.on('message', (m) => messages.push(JSON.parse(m.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: auth.token ? { authorization: `Bearer ${auth.token}` } : {} })));
    ws.on('message', (m) => (JSON.parse(m.toString()).type === 'connection_ack' ? resolve() : undefined));
    void closed.then(({ code }) => reject(new Error(`closed ${code} before ack`)));
  });
  messages.length = 0;
  return { ws, messages, closed, send: (message) => ws.send(JSON.stringify(message)) };
}
