import { builder } from '../../graphql/builder.js';
import type { HealthRow } from './health.service.js';

const ServerStatus = builder.enumType('ServerStatus', { values: ['REACHABLE', 'UNREACHABLE', 'UNKNOWN'] as const });
const ErrorKind = builder.enumType('ServerErrorKind', { values: ['NETWORK', 'TLS', 'AUTH', 'OAUTH_TOKEN', 'THROTTLED', 'PROTOCOL', 'INTERNAL'] as const });

const ServerErrorRef = builder.objectRef<HealthRow>('ServerError').implement({
  fields: (t) => ({
    message: t.string({ resolve: (h) => h.lastErrorMessage ?? '' }),
    kind: t.field({ type: ErrorKind, resolve: (h) => h.lastErrorKind ?? 'INTERNAL' }),
    at: t.field({ type: 'DateTime', resolve: (h) => h.lastErrorAt ?? h.updatedAt }),
  }),
});

export const ServerHealthRef = builder.objectRef<HealthRow>('ServerHealth').implement({
  fields: (t) => ({
    status: t.field({ type: ServerStatus, resolve: (h) => h.status }),
    connectionState: t.exposeString('connectionState'),
    lastSyncAt: t.expose('lastSyncAt', { type: 'DateTime', nullable: true }),
    inboundQueueCount: t.exposeInt('inboundQueueCount'),
    lastError: t.field({ type: ServerErrorRef, nullable: true, resolve: (h) => (h.lastErrorMessage ? h : null) }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});
