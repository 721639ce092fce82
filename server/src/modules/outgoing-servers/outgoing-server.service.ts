import { and, asc, count, desc, eq, ne } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { outgoingServers, type OutgoingServerRow } from '../../db/schema.js';
import { InUseError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { outgoingServerForSending } from '../../ingest/lookups.js';
import type { PubSub } from '../../lib/pubsub.js';
import type { SecretBox } from '../../lib/secrets.js';
import type { ConnectionTestResult, ProgressListener } from '../../mail/connection-test/connection-test.js';
import type { OutgoingServerDirectory } from '../../mail/ports.js';
import type { SmtpTarget } from '../../mail/outbound/smtp.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { deleteGuarded } from '../references/references.js';
import { resolveOutgoingInput, type ResolvedOutgoingServer } from './outgoing-server.rules.js';
import { isUuid } from '../../lib/uuid.js';

/** The stages of a mailbox test, SMTP's way: DNS → TCP → TLS → AUTH. */
export type OutgoingTestResult = ConnectionTestResult;

export const OUTGOING_TEST_TIMEOUT_MS = 10_000;

const ENTITY = 'OutgoingEmailServer';

export class OutgoingServerService implements OutgoingServerDirectory {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly pubsub: PubSub,
    private readonly opts: { allowLoopback: boolean; testTimeoutMs?: number },
  ) {}

  list(): Promise<OutgoingServerRow[]> {
    return this.db.select().from(outgoingServers).orderBy(desc(outgoingServers.primary), asc(outgoingServers.createdAt));
  }

  async get(id: string, q: Queryable = this.db): Promise<OutgoingServerRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await q.select().from(outgoingServers).where(eq(outgoingServers.id, id));
    return row;
  }

  forSending(preferredId: string | null | undefined, q: Queryable = this.db): Promise<OutgoingServerRow | undefined> {
    return outgoingServerForSending(q, preferredId);
  }

  /** Settings with the password opened, for the worker and Test Connection only. */
  smtpTarget(row: OutgoingServerRow): SmtpTarget {
    return {
      host: row.host,
      port: row.port,
      security: row.security,
      authType: row.authType,
      username: row.authType === 'BASIC' ? row.username || row.fromAddress : null,
      password: row.passwordSealed ? this.secrets.open(row.passwordSealed) : null,
      allowSelfSignedCertificate: row.allowSelfSignedCertificate,
    };
  }

  async create(raw: unknown, actorUserId: string | null): Promise<OutgoingServerRow | ValidationError> {
    const resolved = resolveOutgoingInput(raw, null);
    if (!resolved.ok) return ValidationError.of(resolved.errors);
    const v = resolved.value;
    return this.db.transaction(async (tx) => {
      const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(outgoingServers);
      // Exactly one primary: the first server is it, and marking another moves the flag.
      const primary = n === 0 || v.primary === true;
      if (primary) await tx.update(outgoingServers).set({ primary: false }).where(eq(outgoingServers.primary, true));
      const [created] = await tx
        .insert(outgoingServers)
        .values({ ...this.columns(v), primary, passwordSealed: v.password ? this.secrets.seal(v.password) : null })
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: ENTITY, entityId: created!.id, action: 'CREATE', after: created });
      return created!;
    });
  }

  async update(id: string, raw: unknown, actorUserId: string | null): Promise<OutgoingServerRow | ValidationError | NotFoundError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such outgoing email server');
    const resolved = resolveOutgoingInput(raw, { hasPassword: existing.passwordSealed !== null });
    if (!resolved.ok) return ValidationError.of(resolved.errors);
    const v = resolved.value;
    if (existing.primary && v.primary === false) {
      return ValidationError.of([{ path: ['primary'], message: 'One outgoing server is always primary: mark another one as primary instead' }]);
    }
    const primary = v.primary ?? existing.primary;
    return this.db.transaction(async (tx) => {
      if (primary && !existing.primary) await tx.update(outgoingServers).set({ primary: false }).where(and(eq(outgoingServers.primary, true), ne(outgoingServers.id, id)));
      const [updated] = await tx
        .update(outgoingServers)
        .set({
          ...this.columns(v),
          primary,
          ...(v.password === undefined ? {} : { passwordSealed: v.password === null ? null : this.secrets.seal(v.password) }),
          updatedAt: new Date(),
        })
        .where(eq(outgoingServers.id, id))
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: ENTITY, entityId: id, action: 'UPDATE', before: existing, after: updated });
      return updated!;
    });
  }

  /**
   * Refused while mailboxes link the server or acknowledgments wait in its queue, unless they move
   * to `replacementId`. Mail already sent or failed keeps its row and loses the link.
   */
  async delete(id: string, actorUserId: string | null, replacementId?: string | null): Promise<{ id: string } | NotFoundError | ValidationError | InUseError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such outgoing email server');
    return deleteGuarded(this.db, this.pubsub, {
      kind: ENTITY, id, name: existing.name, replacementId, actorUserId,
      remove: (tx, replacement) => this.remove(tx, existing, actorUserId, replacement),
    });
  }

  private async remove(tx: Queryable, existing: OutgoingServerRow, actorUserId: string | null, replacement: { id: string; name: string } | null): Promise<void> {
    const { id } = existing;
    await tx.delete(outgoingServers).where(eq(outgoingServers.id, id));
    await recordConfigChange(tx, { actorUserId, entityType: ENTITY, entityId: id, action: 'DELETE', before: existing, after: replacement ? { replacedBy: replacement.name } : undefined });
    if (!existing.primary) return;
    // The primary went away: the replacement takes over, else the oldest remaining server (enabled first).
    const [next] = replacement
      ? await tx.select().from(outgoingServers).where(eq(outgoingServers.id, replacement.id))
      : await tx.select().from(outgoingServers).orderBy(desc(outgoingServers.enabled), asc(outgoingServers.createdAt)).limit(1);
    if (!next) return;
    const [promoted] = await tx.update(outgoingServers).set({ primary: true, updatedAt: new Date() }).where(eq(outgoingServers.id, next.id)).returning();
    await recordConfigChange(tx, { actorUserId, entityType: ENTITY, entityId: next.id, action: 'UPDATE', before: next, after: promoted });
  }

  /** DNS → TCP → TLS → AUTH within 10 s, with the saved settings; never throws for a failed test. */
  async test(id: string, onProgress?: ProgressListener): Promise<OutgoingTestResult | NotFoundError> {
    const row = await this.get(id);
    if (!row) return new NotFoundError('No such outgoing email server');
    return this.run(this.smtpTarget(row), onProgress);
  }

  /**
   * The same test with settings not saved yet (the drawer's input). Editing a server, an empty
   * password means the stored one, as saving would.
   */
  async testDraft(raw: unknown, id: string | null, onProgress?: ProgressListener): Promise<OutgoingTestResult | NotFoundError | ValidationError> {
    const existing = id ? await this.get(id) : undefined;
    if (id && !existing) return new NotFoundError('No such outgoing email server');
    const resolved = resolveOutgoingInput(raw, existing ? { hasPassword: existing.passwordSealed !== null } : null);
    if (!resolved.ok) return ValidationError.of(resolved.errors);
    const v = resolved.value;
    const stored = existing ? this.smtpTarget(existing).password : null;
    return this.run({
      host: v.host,
      port: v.port,
      security: v.security,
      authType: v.authType,
      username: v.authType === 'BASIC' ? v.username || v.fromAddress : null,
      password: v.password === undefined ? stored : v.password,
      allowSelfSignedCertificate: v.allowSelfSignedCertificate,
    }, onProgress);
  }

  private async run(target: SmtpTarget, onProgress?: ProgressListener): Promise<OutgoingTestResult> {
    const { testSmtpConnection } = await import('../../mail/connection-test/smtp-probe.js');
    return testSmtpConnection(target, { timeoutMs: this.opts.testTimeoutMs ?? OUTGOING_TEST_TIMEOUT_MS, allowLoopback: this.opts.allowLoopback, onProgress });
  }

  private columns(v: ResolvedOutgoingServer) {
    return {
      name: v.name,
      host: v.host,
      port: v.port,
      security: v.security,
      authType: v.authType,
      username: v.username,
      fromAddress: v.fromAddress,
      fromName: v.fromName,
      allowSelfSignedCertificate: v.allowSelfSignedCertificate,
      enabled: v.enabled,
    };
  }
}
