import { ConnectorLoop } from '../connector-loop.js';
import { MailError, type ConnectorDeps } from '../connector.js';
import { resolveMailRoute } from '../mail-route.js';
import type { Pop3Session } from './pop3-client.js';
import type { UidlEntry } from './pop3-listings.js';
import { openPop3 } from './pop3-connect.js';
import { classifyPop3Error } from './pop3-errors.js';
import type { IncomingServerRow } from '../../db/schema.js';
import { OVERSIZE_HEAD_BYTES, headOnly, type IncomingItem } from '../../ingest/plan.js';

/** Messages fetched and committed per POP3 session; QUIT ends each, so deletions apply batch by batch. */
const BATCH = 50;

export const pop3SourceKey = (serverId: string, uidl: string) => `pop3:${serverId}:${uidl}`;

/**
 * Reads one POP3 mailbox by polling (POP3 has no push). Each poll opens sessions until nothing
 * new is left: UIDL, RETR what is not committed yet, commit the batch, then — in delete mode —
 * DELE and QUIT. POP3 sessions are never held between polls: the server locks the maildrop for
 * the session's lifetime and shows only the mail that was there when it began.
 *
 * Exactly once: the committed set is the UIDLs whose tickets/audit rows exist (their sourceKeys).
 * A server may rebuild its UIDLs without telling (Courier's `UID<n>-<uidvalidity>`, Cyrus'
 * `<uidvalidity>.<uid>` after a mailbox is recreated), so every new UIDL is also matched against
 * what this mailbox stored before (Message-ID + content fingerprint), whatever the duplicate window.
 * DELE is sent only after the commit, and a server applies it only on QUIT. A session lost after
 * DELE but before QUIT leaves the message on the server (RFC 1939 §6); the next session sees its
 * UIDL already committed, skips it and deletes it again.
 */
export class Pop3Connector extends ConnectorLoop {
  private current: Pop3Session | null = null;
  private connecting: AbortController | null = null;

  constructor(server: IncomingServerRow, deps: ConnectorDeps) {
    super(server, deps, 'pop3');
  }

  protected classify(err: unknown): MailError {
    return classifyPop3Error(err);
  }

  protected async disconnect(): Promise<void> {
    // No QUIT: whatever was deleted in an unfinished session is rolled back and redone next time.
    this.connecting?.abort();
    this.current?.destroy();
  }

  protected async session(): Promise<void> {
    while (!this.stopped) {
      await this.poll();
      if (this.stopped) break;
      await this.sleep(this.server.pollIntervalSeconds * 1000);
    }
  }

  private async poll(): Promise<void> {
    let reportedSyncing = false;
    for (;;) {
      const session = await this.open();
      try {
        if (!reportedSyncing) {
          await this.report({ connectionState: 'syncing' });
          reportedSyncing = true;
        }
        const more = await this.batch(session);
        await session.quit();
        if (!more) break;
      } finally {
        session.destroy();
        if (this.current === session) this.current = null;
      }
      if (this.stopped) return;
    }
    await this.report({ connectionState: 'connected', lastSyncAt: new Date(), inboundQueueCount: 0, error: null });
  }

  private async open(): Promise<Pop3Session> {
    const route = await resolveMailRoute(this.server.host ?? '', this.deps.proxy, { allowLoopback: this.deps.allowLoopback });
    const connecting = (this.connecting = new AbortController());
    const session = await openPop3({
      signal: connecting.signal,
      onSession: (s) => (this.current = s),
      route,
      port: this.server.port ?? (this.server.security === 'SSL' ? 995 : 110),
      security: this.server.security ?? 'SSL',
      host: this.server.host ?? '',
      rejectUnauthorized: !this.server.allowSelfSignedCertificate,
      user: this.server.username || this.server.email,
      password: this.deps.credentials.password ?? '',
    });
    if (this.stopped) {
      session.destroy();
      throw new MailError('NETWORK', 'stopped');
    }
    this.backoff.connected(Date.now());
    return session;
  }

  /** One session's worth: returns true when more new messages are waiting than one batch takes. */
  private async batch(session: Pop3Session): Promise<boolean> {
    const listing = dedupe(await session.uidl());
    const key = (m: UidlEntry) => pop3SourceKey(this.server.id, m.uidl);
    const committed = await this.ours('reading committed messages', () => this.deps.ingest.committedSourceKeys(listing.map(key)));
    const fresh = listing.filter((m) => !committed.has(key(m)));
    await this.report({ inboundQueueCount: fresh.length });

    const batch = fresh.slice(0, BATCH);
    // LIST's sizes: a message over the size limit is read as its header section only (TOP n 0)
    // and quarantined, never RETRieved whole.
    const sizes = batch.length ? await session.list() : new Map<number, number>();
    const limit = await this.ours('reading the size limit', () => this.deps.ingest.maxMessageBytes());
    const items: IncomingItem[] = [];
    for (const m of batch) {
      if (this.stopped) return false;
      const size = sizes.get(m.n);
      if (headOnly(size, limit)) {
        const head = (await session.top(m.n)) ?? Buffer.alloc(0);
        items.push({ sourceKey: key(m), raw: Buffer.from(head.subarray(0, OVERSIZE_HEAD_BYTES)), recheckStored: true, declaredSize: size });
      } else {
        items.push({ sourceKey: key(m), raw: await session.retr(m.n), recheckStored: true });
      }
    }
    if (items.length) await this.ours('saving tickets', () => this.deps.ingest.ingestBatch(this.server, items));

    if (this.server.pop3DeleteAfterSave) {
      // Re-read what is committed rather than trusting the batch: a message whose row is not in
      // the database must stay on the server, whatever went wrong.
      const saved = items.length ? await this.ours('reading committed messages', () => this.deps.ingest.committedSourceKeys(items.map((i) => i.sourceKey))) : new Set<string>();
      const leftBehind = listing.filter((m) => committed.has(key(m)));
      const deletable = [...leftBehind, ...batch.filter((m) => saved.has(key(m)))];
      for (const m of deletable) await session.dele(m.n);
      if (leftBehind.length) this.log.info({ count: leftBehind.length }, 'deleting already-committed messages left on the server');
    }
    return fresh.length > batch.length;
  }
}

/** A broken server listing one UIDL twice must not make us take (or delete) it twice. */
function dedupe(listing: UidlEntry[]): UidlEntry[] {
  const seen = new Set<string>();
  return listing.filter((m) => !seen.has(m.uidl) && seen.add(m.uidl));
}
