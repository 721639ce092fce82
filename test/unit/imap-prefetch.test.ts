import type { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { fetchNewer, prefetchBytes } from '../../server/src/mail/imap/imap-search.ts';

/** What a server answers to `UID FETCH n:*`: imapflow's fetch as an async iterable. */
function serverWith(messages: { uid: number; size?: number; source?: Buffer }[]) {
  const asked: unknown[] = [];
  const client = {
    async *fetch(range: string, query: unknown) {
      asked.push({ range, query });
      yield* messages;
    },
  } as unknown as ImapFlow;
  return { client, asked };
}

describe('the first bytes of a few new messages, fetched with their UIDs', () => {
  it('asks for them only when a few messages more than the settled view are expected', () => {
    const view = (exists: number) => ({ uidValidity: 1, exists, uidNext: null });
    expect(prefetchBytes(null, view(3))).toBe(0); // first check of a session
    expect(prefetchBytes(view(3), view(3))).toBe(0); // flags or an expunge changed, no new mail
    expect(prefetchBytes(view(3), view(4))).toBe(64 * 1024);
    expect(prefetchBytes(view(3), view(8))).toBe(64 * 1024);
    expect(prefetchBytes(view(3), view(9))).toBe(0); // a backlog: fetched in batches as ever
  });

  it('keeps a message only when it came whole: shorter than asked for, and no longer than RFC822.SIZE says', async () => {
    const whole = Buffer.from('Subject: short\r\n\r\nHello\r\n');
    const { client, asked } = serverWith([
      { uid: 7, size: 10, source: Buffer.from('old') }, // n:* brings the last message even when it is older
      { uid: 11, size: whole.length, source: whole },
      { uid: 12, size: 100_000, source: Buffer.alloc(65_536) }, // longer: cut at the window
      { uid: 13, size: 5_000, source: Buffer.alloc(1_000) }, // the server cut it short
      { uid: 14, source: Buffer.from('no size given') },
    ]);
    const found = await fetchNewer(client, 10, 65_536);
    expect(asked).toEqual([{ range: '11:*', query: { uid: true, size: true, source: { maxLength: 65_536 } } }]);
    expect(found!.uids).toEqual([7, 11, 12, 13, 14]);
    expect([...found!.sources.keys()]).toEqual([11, 14]);
    expect(found!.sources.get(11)).toBe(whole);
  });

  it('asks for no bytes without a window', async () => {
    const { client, asked } = serverWith([{ uid: 11, size: 20 }]);
    const found = await fetchNewer(client, 10);
    expect(asked).toEqual([{ range: '11:*', query: { uid: true, size: true } }]);
    expect(found!.sources.size).toBe(0);
  });
});
