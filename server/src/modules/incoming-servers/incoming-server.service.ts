import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import {
  appSettings, categories, companies, incomingServers, outgoingServers, proxyServers, serverHealth, technicianGroups,
  type IncomingServerRow, type OAuthSecrets, type OAuthSettings, type ServerCredentials,
} from '../../db/schema.js';
import { NotFoundError, ValidationError, type FieldError } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import type { SecretBox } from '../../lib/secrets.js';
import { isUuid } from '../../lib/uuid.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { resolveServerInput, type ResolvedServer } from './incoming-server.rules.js';

export class IncomingServerService {
  constructor(private readonly db: Db, private readonly secrets: SecretBox, private readonly pubsub: PubSub) {}

  list(): Promise<IncomingServerRow[]> {
    return this.db.select().from(incomingServers).orderBy(asc(incomingServers.createdAt));
  }

  async get(id: string, q: Queryable = this.db): Promise<IncomingServerRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await q.select().from(incomingServers).where(eq(incomingServers.id, id));
    return row;
  }

  async getMany(ids: readonly string[]): Promise<IncomingServerRow[]> {
    const valid = ids.filter(isUuid);
    return valid.length ? this.db.select().from(incomingServers).where(inArray(incomingServers.id, valid)) : [];
  }

  credentials(row: IncomingServerRow): ServerCredentials {
    return {
      password: row.passwordSealed ? this.secrets.open(row.passwordSealed) : null,
      oauth: row.oauthSecretsSealed ? (JSON.parse(this.secrets.open(row.oauthSecretsSealed)) as OAuthSecrets) : {},
    };
  }

  async create(raw: unknown, actorUserId: string | null): Promise<IncomingServerRow | ValidationError> {
    const resolved = resolveServerInput(raw, null);
    if (!resolved.ok) return ValidationError.of(resolved.errors);
    const refErrors = await this.checkReferences(resolved.value);
    if (refErrors.length) return ValidationError.of(refErrors);
    const v = resolved.value;
    const row = await this.db.transaction(async (tx) => {
      if (v.primary) await tx.update(incomingServers).set({ primary: false }).where(eq(incomingServers.primary, true));
      const [created] = await tx
        .insert(incomingServers)
        .values({
          ...this.columns(v),
          passwordSealed: v.password !== undefined ? this.secrets.seal(v.password) : null,
          oauthSecretsSealed: v.oauthClientSecret ? this.secrets.seal(JSON.stringify({ clientSecret: v.oauthClientSecret })) : null,
        })
        .returning();
      await tx.insert(serverHealth).values({ serverId: created!.id, connectionState: v.enabled ? 'connecting' : 'disabled' });
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailServer', entityId: created!.id, action: 'CREATE', after: created });
      return created!;
    });
    this.notifyChanged(row.id);
    return row;
  }

  async update(id: string, raw: unknown, actorUserId: string | null): Promise<IncomingServerRow | ValidationError | NotFoundError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such incoming email server');
    const existingSecrets = this.credentials(existing);
    const resolved = resolveServerInput(raw, {
      hasPassword: existingSecrets.password !== null,
      hasClientSecret: Boolean(existingSecrets.oauth.clientSecret),
    });
    if (!resolved.ok) return ValidationError.of(resolved.errors);
    const refErrors = await this.checkReferences(resolved.value);
    if (refErrors.length) return ValidationError.of(refErrors);
    const v = resolved.value;

    const oauthSecrets: OAuthSecrets = { ...existingSecrets.oauth };
    if (v.oauthClientSecret) oauthSecrets.clientSecret = v.oauthClientSecret;
    const connectionChanged =
      v.password !== undefined || Boolean(v.oauthClientSecret) ||
      (['host', 'port', 'security', 'authType', 'username', 'email', 'protocol', 'proxyServerId', 'ewsUrl'] as const).some((k) => (existing[k] ?? null) !== (this.columns(v)[k] ?? null));

    const row = await this.db.transaction(async (tx) => {
      if (v.primary) await tx.update(incomingServers).set({ primary: false }).where(and(eq(incomingServers.primary, true), ne(incomingServers.id, id)));
      const [updated] = await tx
        .update(incomingServers)
        .set({
          ...this.columns(v),
          ...(v.password !== undefined ? { passwordSealed: this.secrets.seal(v.password) } : {}),
          oauthSecretsSealed: Object.keys(oauthSecrets).length ? this.secrets.seal(JSON.stringify(oauthSecrets)) : null,
          credentialsVersion: connectionChanged ? existing.credentialsVersion + 1 : existing.credentialsVersion,
          updatedAt: new Date(),
        })
        .where(eq(incomingServers.id, id))
        .returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailServer', entityId: id, action: 'UPDATE', before: existing, after: updated });
      return updated!;
    });
    this.notifyChanged(id);
    return row;
  }

  async delete(id: string, actorUserId: string | null): Promise<{ id: string } | NotFoundError> {
    const existing = await this.get(id);
    if (!existing) return new NotFoundError('No such incoming email server');
    await this.db.transaction(async (tx) => {
      await tx.delete(incomingServers).where(eq(incomingServers.id, id));
      await recordConfigChange(tx, { actorUserId, entityType: 'IncomingEmailServer', entityId: id, action: 'DELETE', before: existing });
    });
    this.pubsub.publish('incomingServerChanged', id);
    return { id };
  }

  /**
   * Settings not saved yet, as a row Test Connection can run with: what the input leaves empty
   * (password, client secret) is the stored one when editing, as saving would keep it. An OAuth
   * mailbox keeps its sign-in only while its provider, protocol and app settings are unchanged.
   */
  async draft(raw: unknown, id: string | null): Promise<DraftServer | ValidationError | NotFoundError> {
    const existing = id ? await this.get(id) : undefined;
    if (id && !existing) return new NotFoundError('No such incoming email server');
    const stored: ServerCredentials = existing ? this.credentials(existing) : { password: null, oauth: {} };
    const resolved = resolveServerInput(raw, existing ? { hasPassword: stored.password !== null, hasClientSecret: Boolean(stored.oauth.clientSecret) } : null);
    if (!resolved.ok) return ValidationError.of(resolved.errors);
    const v = resolved.value;
    const columns = this.columns(v);
    const now = new Date();
    const row: IncomingServerRow = {
      ...columns, id: existing?.id ?? '00000000-0000-0000-0000-000000000000', passwordSealed: null, oauthSecretsSealed: null,
      credentialsVersion: existing?.credentialsVersion ?? 1, createdAt: existing?.createdAt ?? now, updatedAt: now,
    };
    const keepsSignIn = existing?.authType === 'OAUTH' && v.authType === 'OAUTH' && !v.oauthClientSecret &&
      existing.provider === v.provider && existing.protocol === v.protocol && sameOAuthApp(existing.oauth, columns.oauth);
    return {
      row,
      credentials: { password: v.password ?? stored.password, oauth: v.oauthClientSecret ? { clientSecret: v.oauthClientSecret } : stored.oauth },
      signedIn: keepsSignIn ? existing : null,
    };
  }

  /** Connectors store refreshed OAuth tokens here; not a configuration change, so not audited. */
  async storeOAuthSecrets(id: string, secrets: OAuthSecrets): Promise<void> {
    await this.db.update(incomingServers).set({ oauthSecretsSealed: this.secrets.seal(JSON.stringify(secrets)) }).where(eq(incomingServers.id, id));
  }

  /** Tells every process's supervisor to restart the server's connector (new settings or credentials). */
  notifyChanged(id: string): void {
    this.pubsub.publish('incomingServerChanged', id);
    this.pubsub.publish('incomingEmailServerUpdated', id);
  }

  private columns(v: ResolvedServer) {
    return {
      name: v.name,
      email: v.email,
      protocol: v.protocol,
      provider: v.provider,
      host: v.host,
      port: v.port,
      security: v.security,
      authType: v.authType,
      username: v.username,
      oauth: v.oauth as OAuthSettings | null,
      enabled: v.enabled,
      primary: v.primary,
      realTimeScanning: v.realTimeScanning,
      allowSelfSignedCertificate: v.allowSelfSignedCertificate,
      pollIntervalSeconds: v.pollIntervalSeconds,
      technicianGroupId: v.technicianGroupId,
      categoryId: v.categoryId,
      companyId: v.companyId,
      proxyServerId: v.proxyServerId,
      outgoingServerId: v.outgoingServerId,
      pop3DeleteAfterSave: v.pop3DeleteAfterSave,
      afterProcessing: v.afterProcessing,
      moveToFolder: v.moveToFolder,
      ewsUrl: v.ewsUrl,
      oauthClientSecretExpiresAt: v.oauthClientSecretExpiresAt,
      needsReconfiguration: false,
      filterType: v.filter?.type ?? null,
      filterEmails: v.filter?.emails ?? [],
      filterDomains: v.filter?.domains ?? [],
      filterKeywords: v.filter?.keywords ?? [],
    };
  }

  private async checkReferences(v: ResolvedServer): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (v.technicianGroupId) {
      const [g] = await this.db.select({ id: technicianGroups.id }).from(technicianGroups).where(eq(technicianGroups.id, v.technicianGroupId));
      if (!g) errors.push({ path: ['technicianGroupId'], message: 'Unknown technician group' });
    }
    if (v.categoryId) {
      const [c] = await this.db.select({ id: categories.id }).from(categories).where(eq(categories.id, v.categoryId));
      if (!c) errors.push({ path: ['categoryId'], message: 'Unknown category' });
    }
    if (v.proxyServerId) {
      const [p] = await this.db.select({ id: proxyServers.id }).from(proxyServers).where(eq(proxyServers.id, v.proxyServerId));
      if (!p) errors.push({ path: ['proxyServerId'], message: 'Unknown proxy server' });
    }
    if (v.outgoingServerId) {
      const [o] = await this.db.select({ id: outgoingServers.id }).from(outgoingServers).where(eq(outgoingServers.id, v.outgoingServerId));
      if (!o) errors.push({ path: ['outgoingServerId'], message: 'Unknown outgoing server' });
    }
    if (v.companyId) {
      const [settings] = await this.db.select().from(appSettings);
      if (!settings?.mspEnabled) errors.push({ path: ['companyId'], message: 'Companies are available only with the Managed Services Provider feature on' });
      else {
        const [c] = await this.db.select({ id: companies.id }).from(companies).where(eq(companies.id, v.companyId));
        if (!c) errors.push({ path: ['companyId'], message: 'Unknown company' });
      }
    }
    return errors;
  }
}

export interface DraftServer {
  row: IncomingServerRow;
  credentials: ServerCredentials;
  /** The saved server whose OAuth sign-in applies to these settings, if any. */
  signedIn: IncomingServerRow | null;
}

function sameOAuthApp(a: OAuthSettings | null, b: OAuthSettings | null): boolean {
  const keys = ['clientId', 'authorizationUrl', 'tokenUrl', 'scope', 'redirectUrl', 'tenantId'] as const;
  return keys.every((k) => (a?.[k] ?? null) === (b?.[k] ?? null));
}
