import type { EnumRef } from '@pothos/core';
import type { EmailAuthType, EmailOutcome } from '../../db/schema.js';
import { ADMIN_ONLY, builder } from '../../graphql/builder.js';
import type { IngestBucket } from '../email-audit/email-audit.stats.js';
import { errorHint } from './error-hints.js';
import type { HealthRow } from './health.service.js';
import { lagSeconds } from './health.transitions.js';

const ServerStatus = builder.enumType('ServerStatus', { values: ['REACHABLE', 'UNREACHABLE', 'UNKNOWN'] as const });
const ErrorKind = builder.enumType('ServerErrorKind', { values: ['NETWORK', 'TLS', 'AUTH', 'OAUTH_TOKEN', 'THROTTLED', 'PROTOCOL', 'INTERNAL'] as const });

/** A mailbox's health row with its sign-in method, so hints speak of passwords or tokens as fits. */
export type HealthView = HealthRow & { authType?: EmailAuthType | null };

const ServerErrorRef = builder.objectRef<HealthView>('ServerError').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  fields: (t) => ({
    message: t.string({ resolve: (h) => h.lastErrorMessage ?? '' }),
    kind: t.field({ type: ErrorKind, resolve: (h) => h.lastErrorKind ?? 'INTERNAL' }),
    at: t.field({ type: 'DateTime', resolve: (h) => h.lastErrorAt ?? h.updatedAt }),
    hint: t.string({ description: 'What usually fixes this class of failure.', resolve: (h) => errorHint(h.lastErrorKind ?? 'INTERNAL', h.authType) }),
  }),
});

export const ServerHealthRef = builder.objectRef<HealthView>('ServerHealth').implement({
  // Reachable from tickets (a technician's): configuration is for channel managers only.
  authScopes: ADMIN_ONLY,
  fields: (t) => ({
    status: t.field({ type: ServerStatus, resolve: (h) => h.status }),
    connectionState: t.exposeString('connectionState'),
    lastSyncAt: t.expose('lastSyncAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When Mailroom last confirmed the mailbox is current (a sync, or a check that found nothing new); announced at most once a minute.',
    }),
    inboundQueueCount: t.exposeInt('inboundQueueCount'),
    lagSeconds: t.int({
      nullable: true,
      description: 'Age of the oldest message waiting to be read; 0 when nothing waits; null when unknown (e.g. unreachable).',
      resolve: (h) => lagSeconds(h, new Date()),
    }),
    downSince: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Start of the current outage while the server is unreachable (a flapping server keeps its first failure).',
      resolve: (h) => (h.status === 'UNREACHABLE' ? h.downSince : null),
    }),
    outageCount: t.int({ description: 'Failures folded into the current outage (flapping); 0 when there is none.', resolve: (h) => h.flapCount }),
    consecutiveAuthFailures: t.exposeInt('consecutiveAuthFailures'),
    idlePush: t.boolean({
      nullable: true,
      description: 'IMAP with real-time scanning: true when the server\'s IDLE is known to push new mail (Dovecot, Gmail), so the mailbox is checked at its poll interval besides; false once checks found mail IDLE had not announced, twice in a row; null when not known (checked every 15 s).',
      resolve: (h) => h.idlePush ?? null,
    }),
    lastError: t.field({ type: ServerErrorRef, nullable: true, resolve: (h) => (h.lastErrorMessage ? h : null) }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

// Implemented in email-audit.schema.ts; Pothos resolves a type given by name when the schema is built.
const EmailOutcomeRef = 'EmailOutcome' as unknown as EnumRef<typeof builder.$inferSchemaTypes, EmailOutcome>;

const EmailIngestBucketRef = builder.objectRef<IngestBucket>('EmailIngestBucket').implement({
  fields: (t) => ({
    hour: t.expose('hour', { type: 'DateTime', description: 'Start of the hour (UTC).' }),
    outcome: t.field({ type: EmailOutcomeRef, resolve: (b) => b.outcome }),
    count: t.exposeInt('count'),
  }),
});

builder.queryFields((t) => ({
  emailIngestStats: t.field({
    type: [EmailIngestBucketRef],
    authScopes: { manageSupportChannels: true },
    description: 'Messages per hour and outcome over the last `hours` hours (at most 744), oldest first; empty hours are left out.',
    args: { serverId: t.arg.id(), hours: t.arg.int({ defaultValue: 24 }) },
    resolve: (_r, args, ctx) => ctx.services.ingestStats.perHour(args.serverId ? String(args.serverId) : null, args.hours ?? 24),
  }),
}));
