import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { incomingServers, proxyServers } from '../../db/schema.js';
import { InUseError, NotFoundError, ValidationError, zodFieldErrors } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import type { SecretBox } from '../../lib/secrets.js';
import type { ProxyConfig } from '../../mail/proxy.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { isUuid } from '../../lib/uuid.js';
import { deleteGuarded } from '../references/references.js';

export type ProxyServerRow = typeof proxyServers.$inferSelect;

const hostname = z
  .string()
  .trim()
  .min(1, 'Enter the proxy address')
  .max(253)
  .refine((h) => !h.includes('://'), 'Enter the host name only, without http:// or socks5://')
  .pipe(z.string().regex(
    /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9a-fA-F:]+\]?$/,
    'Not a valid host name or IP address',
  ));

// RFC 1929 caps SOCKS5 user name and password at 255 bytes each.
const credential = z.string().max(255, 'At most 255 characters');

export const proxyInputSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  type: z.enum(['SOCKS5', 'HTTP']),
  host: hostname,
  port: z.number().int().min(1, 'Port must be between 1 and 65535').max(65535, 'Port must be between 1 and 65535'),
  username: credential.trim().nullish(),
  /** Write-only. Omitted or null keeps the stored one; "" removes it. */
  password: credential.nullish(),
}).superRefine((v, ctx) => {
  // HTTP Basic joins user and password with ":", so a ":" in the user name can't be sent.
  if (v.type === 'HTTP' && v.username?.includes(':')) ctx.addIssue({ code: 'custom', path: ['username'], message: 'An HTTP proxy user name cannot contain ":"' });
});

/**
 * The managed list of proxies (SOCKS5, HTTP CONNECT) mailboxes may connect through. Passwords
 * are sealed like mailbox passwords and never leave this service except to a connector; every
 * change is in the configuration audit trail, and the mailboxes using a proxy reconnect when it
 * changes.
 */
export class ProxyServerService {
  constructor(private readonly db: Db, private readonly secrets: SecretBox, private readonly pubsub: PubSub) {}

  list(): Promise<ProxyServerRow[]> {
    return this.db.select().from(proxyServers).orderBy(asc(proxyServers.name));
  }

  async get(id: string): Promise<ProxyServerRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(proxyServers).where(eq(proxyServers.id, id));
    return row;
  }

  /** With the password opened, for connectors and Test Connection only. */
  async config(id: string): Promise<ProxyConfig | null> {
    const row = await this.get(id);
    if (!row) return null;
    return {
      name: row.name,
      type: row.type,
      host: row.host,
      port: row.port,
      username: row.username,
      password: row.passwordSealed ? this.secrets.open(row.passwordSealed) : null,
    };
  }

  async create(raw: unknown, actorUserId: string | null): Promise<ProxyServerRow | ValidationError> {
    const input = await this.validate(raw, null);
    if (input instanceof ValidationError) return input;
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(proxyServers)
        .values({
          name: input.name, type: input.type, host: input.host, port: input.port,
          username: input.username || null,
          passwordSealed: input.username && input.password ? this.secrets.seal(input.password) : null,
        })
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'ProxyServer', entityId: row!.id, action: 'CREATE', after: row });
      return row!;
    });
  }

  async update(id: string, raw: unknown, actorUserId: string | null): Promise<ProxyServerRow | ValidationError | NotFoundError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such proxy server');
    const input = await this.validate(raw, id);
    if (input instanceof ValidationError) return input;
    const passwordSealed = !input.username
      ? null
      : input.password === undefined || input.password === null
        ? existing.passwordSealed
        : input.password === '' ? null : this.secrets.seal(input.password);
    const row = await this.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(proxyServers)
        .set({ name: input.name, type: input.type, host: input.host, port: input.port, username: input.username || null, passwordSealed, updatedAt: new Date() })
        .where(eq(proxyServers.id, id))
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'ProxyServer', entityId: id, action: 'UPDATE', before: existing, after: updated });
      return updated!;
    });
    await this.notifyUsers(id);
    return row;
  }

  /**
   * Refused while a mailbox uses the proxy — silently connecting it directly could break a network
   * policy — unless the mailboxes move to `replacementId` (and reconnect through it).
   */
  async delete(id: string, actorUserId: string | null, replacementId?: string | null): Promise<{ id: string } | NotFoundError | ValidationError | InUseError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such proxy server');
    return deleteGuarded(this.db, this.pubsub, {
      kind: 'ProxyServer', id, name: existing.name, replacementId, actorUserId,
      remove: async (tx, replacement) => {
        await tx.delete(proxyServers).where(eq(proxyServers.id, id));
        await recordConfigChange(tx, { actorUserId, entityType: 'ProxyServer', entityId: id, action: 'DELETE', before: existing, after: replacement ? { replacedBy: replacement.name } : undefined });
      },
    });
  }

  users(id: string): Promise<{ id: string; name: string }[]> {
    return this.db.select({ id: incomingServers.id, name: incomingServers.name }).from(incomingServers).where(eq(incomingServers.proxyServerId, id)).orderBy(asc(incomingServers.name));
  }

  /** The mailboxes behind this proxy reconnect with its new settings, on whichever process reads them. */
  private async notifyUsers(id: string): Promise<void> {
    for (const server of await this.users(id)) void this.pubsub.publish('incomingServerChanged', server.id);
  }

  private async validate(raw: unknown, exceptId: string | null): Promise<z.output<typeof proxyInputSchema> | ValidationError> {
    const parsed = proxyInputSchema.safeParse(raw);
    if (!parsed.success) return ValidationError.of(zodFieldErrors(parsed.error));
    const [clash] = await this.db.select({ id: proxyServers.id }).from(proxyServers).where(sql`lower(${proxyServers.name}) = lower(${parsed.data.name})`);
    if (clash && clash.id !== exceptId) return ValidationError.of([{ path: ['name'], message: 'A proxy server with this name exists' }]);
    return { ...parsed.data, host: parsed.data.host.replace(/^\[(.*)\]$/, '$1') };
  }
}
