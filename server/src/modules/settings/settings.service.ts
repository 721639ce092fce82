import { asc, eq, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { appSettings, companies, emailPreference, incomingRules, type EmailPreferenceRow } from '../../db/schema.js';
import { InUseError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import { recordConfigChange } from '../config-audit/config-audit.service.js';
import { isUuid } from '../../lib/uuid.js';
import { deleteGuarded } from '../references/references.js';

export type AppSettingsRow = typeof appSettings.$inferSelect;
export type CompanyRow = typeof companies.$inferSelect;

const MSP_OFF = 'Companies are available only with the Managed Services Provider feature on';

/** The installation-wide switches; a missing row means the defaults. */
export async function loadAppSettings(q: Queryable): Promise<AppSettingsRow> {
  const [row] = await q.select().from(appSettings).where(eq(appSettings.id, 1));
  if (row) return row;
  await q.insert(appSettings).values({ id: 1 }).onConflictDoNothing();
  return (await q.select().from(appSettings).where(eq(appSettings.id, 1)))[0]!;
}

/** The email preference (Email to Ticket, duplicate window, limits); a missing row means the defaults. */
export async function loadEmailPreference(q: Queryable): Promise<EmailPreferenceRow> {
  const [row] = await q.select().from(emailPreference).where(eq(emailPreference.id, 1));
  if (row) return row;
  await q.insert(emailPreference).values({ id: 1 }).onConflictDoNothing();
  return (await q.select().from(emailPreference).where(eq(emailPreference.id, 1)))[0]!;
}

/** For checks elsewhere (servers, rules, ingest): may a company be set at all? */
export async function mspEnabled(q: Queryable): Promise<boolean> {
  const [row] = await q.select({ on: appSettings.mspEnabled }).from(appSettings).where(eq(appSettings.id, 1));
  return row?.on ?? false;
}

/** How long a read email preference serves (see SettingsService.emailPreference). */
export const PREFERENCE_FRESH_MS = 2_000;

/** Installation settings (the Managed Services Provider switch) and the companies it enables. */
export class SettingsService {
  private preference: { at: number; row: Promise<EmailPreferenceRow> } | null = null;

  constructor(private readonly db: Db, private readonly pubsub: PubSub) {}

  get(): Promise<AppSettingsRow> {
    return loadAppSettings(this.db);
  }

  /**
   * The email preference, read at most once per PREFERENCE_FRESH_MS: every sync of every mailbox
   * asks for it (1,000 one-mail syncs read it 1,000 times). A save on this process is seen at once
   * (forgetEmailPreference); one made on another process within that time.
   */
  emailPreference(): Promise<EmailPreferenceRow> {
    if (this.preference && Date.now() - this.preference.at < PREFERENCE_FRESH_MS) return this.preference.row;
    const row = loadEmailPreference(this.db);
    const entry = { at: Date.now(), row };
    this.preference = entry;
    row.catch(() => {
      if (this.preference === entry) this.preference = null;
    });
    return row;
  }

  /** The preference was saved: the next caller reads it again. */
  forgetEmailPreference(): void {
    this.preference = null;
  }

  async update(input: { mspEnabled?: boolean | null }, actorUserId: string | null): Promise<AppSettingsRow> {
    return this.db.transaction(async (tx) => {
      const before = await loadAppSettings(tx);
      const [after] = await tx
        .update(appSettings)
        .set({ mspEnabled: input.mspEnabled ?? before.mspEnabled, updatedAt: new Date() })
        .where(eq(appSettings.id, 1))
        .returning();
      // Turning MSP off keeps the companies already set on servers and rules: they are ignored while off and back when it is on.
      await recordConfigChange(tx, { actorUserId, entityType: 'AppSettings', entityId: '1', action: 'UPDATE', before, after });
      return after!;
    });
  }

  listCompanies(): Promise<CompanyRow[]> {
    return this.db.select().from(companies).orderBy(asc(companies.name));
  }

  async getCompany(id: string): Promise<CompanyRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(companies).where(eq(companies.id, id));
    return row;
  }

  async createCompany(name: string, actorUserId: string | null): Promise<CompanyRow | ValidationError> {
    const valid = await this.validName(name);
    if (valid instanceof ValidationError) return valid;
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(companies).values({ name: valid }).returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'Company', entityId: row!.id, action: 'CREATE', after: row });
      return row!;
    });
  }

  async renameCompany(id: string, name: string, actorUserId: string | null): Promise<CompanyRow | ValidationError | NotFoundError> {
    const existing = await this.getCompany(id);
    if (!existing) return new NotFoundError('No such company');
    const valid = await this.validName(name, id);
    if (valid instanceof ValidationError) return valid;
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(companies).set({ name: valid }).where(eq(companies.id, id)).returning();
      await recordConfigChange(tx, { actorUserId, entityType: 'Company', entityId: id, action: 'UPDATE', before: existing, after: row });
      return row!;
    });
  }

  /** Refused while servers, rules or requests name the company, unless they move to `replacementId`. */
  async deleteCompany(id: string, actorUserId: string | null, replacementId?: string | null): Promise<{ id: string } | NotFoundError | ValidationError | InUseError> {
    const existing = await this.getCompany(id);
    if (!existing) return new NotFoundError('No such company');
    return deleteGuarded(this.db, this.pubsub, {
      kind: 'Company', id, name: existing.name, replacementId, actorUserId,
      remove: async (tx, replacement) => {
        await tx.delete(companies).where(eq(companies.id, id));
        await recordConfigChange(tx, { actorUserId, entityType: 'Company', entityId: id, action: 'DELETE', before: existing, after: replacement ? { replacedBy: replacement.name } : undefined });
      },
    });
  }

  private async validName(name: string, exceptId?: string): Promise<string | ValidationError> {
    if (!(await mspEnabled(this.db))) return ValidationError.of([{ path: ['name'], message: MSP_OFF }]);
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) return ValidationError.of([{ path: ['name'], message: 'Enter a name (1–200 characters)' }]);
    const [clash] = await this.db.select({ id: companies.id }).from(companies).where(sql`lower(${companies.name}) = lower(${trimmed})`);
    if (clash && clash.id !== exceptId) return ValidationError.of([{ path: ['name'], message: 'A company with this name exists' }]);
    return trimmed;
  }
}
