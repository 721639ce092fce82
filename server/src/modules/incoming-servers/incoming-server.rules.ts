import { z } from 'zod';
import { emailAddress } from '../../lib/inputs.js';
import type { EmailAuthType, EmailProvider, FilterType, MailProtocol, SecurityType } from '../../db/schema.js';
import type { FieldError } from '../../lib/errors.js';
import { GRAPH_HOST, MICROSOFT_HOST, defaultPort, defaultScope, isMicrosoftHosted } from '../../mail/providers.js';

const hostname = z
  .string()
  .trim()
  .min(1, 'Enter the server address')
  .max(253)
  .regex(/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9a-fA-F:]+\]?$/, 'Not a valid host name or IP address');
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .refine((d) => !d.includes('@'), 'Enter a domain without the @ symbol')
  .refine((d) => /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(d), 'Not a valid domain');
const httpsUrl = z.url({ protocol: /^https?$/, error: 'Must be an http(s) URL' });

export const filterInputSchema = z.object({
  type: z.enum(['ALLOW', 'IGNORE']),
  emails: z.array(emailAddress().transform((e) => e.toLowerCase())).max(1000).default([]),
  domains: z.array(domain).max(1000).default([]),
  keywords: z.array(z.string().trim().min(1, 'Empty keyword').max(200)).max(1000).default([]),
});

export const oauthInputSchema = z.object({
  clientId: z.string().trim().min(1).max(500).nullish(),
  clientSecret: z.string().min(1).max(2000).nullish(),
  authorizationUrl: httpsUrl.nullish(),
  tokenUrl: httpsUrl.nullish(),
  scope: z.string().trim().min(1).max(2000).nullish(),
  redirectUrl: httpsUrl.nullish(),
  tenantId: z.string().trim().max(200).nullish(),
});

export const serverInputSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  email: emailAddress(),
  protocol: z.enum(['IMAP', 'POP3', 'EWS', 'GRAPH']),
  provider: z.enum(['MICROSOFT', 'GOOGLE', 'OTHER']).default('OTHER'),
  host: hostname.nullish(),
  port: z.number().int().min(1, 'Port must be between 1 and 65535').max(65535, 'Port must be between 1 and 65535').nullish(),
  security: z.enum(['NONE', 'SSL', 'TLS']).nullish(),
  authType: z.enum(['BASIC', 'OAUTH']).nullish(),
  username: z.string().trim().max(500).nullish(),
  password: z.string().max(2000).nullish(),
  oauth: oauthInputSchema.nullish(),
  enabled: z.boolean().default(true),
  primary: z.boolean().default(false),
  realTimeScanning: z.boolean().default(false),
  allowSelfSignedCertificate: z.boolean().default(false),
  pollIntervalSeconds: z.number().int().min(10, 'At least 10 seconds').max(86400, 'At most one day').default(120),
  technicianGroupId: z.uuid('Unknown technician group').nullish(),
  categoryId: z.uuid('Unknown category').nullish(),
  companyId: z.uuid('Unknown company').nullish(),
  proxyServerId: z.uuid('Unknown proxy server').nullish(),
  outgoingServerId: z.uuid('Unknown outgoing server').nullish(),
  pop3DeleteAfterSave: z.boolean().default(true),
  afterProcessing: z.enum(['MARK_READ', 'MOVE']).default('MARK_READ'),
  moveToFolder: z.string().trim().min(1).max(500).nullish(),
  ewsUrl: httpsUrl.nullish(),
  oauthClientSecretExpiresAt: z.date().nullish(),
  filter: filterInputSchema.nullish(),
});
export type ServerInput = z.input<typeof serverInputSchema>;
type ParsedInput = z.output<typeof serverInputSchema>;

/** What the stored row will hold, before secrets are sealed. */
export interface ResolvedServer {
  name: string;
  email: string;
  protocol: MailProtocol;
  provider: EmailProvider;
  host: string | null;
  port: number | null;
  security: SecurityType | null;
  authType: EmailAuthType;
  username: string | null;
  /** undefined = keep the stored secret. */
  password: string | undefined;
  oauth: {
    clientId: string | null; authorizationUrl: string | null; tokenUrl: string | null;
    scope: string | null; redirectUrl: string | null; tenantId: string | null;
  } | null;
  oauthClientSecret: string | undefined;
  enabled: boolean;
  primary: boolean;
  realTimeScanning: boolean;
  allowSelfSignedCertificate: boolean;
  pollIntervalSeconds: number;
  technicianGroupId: string | null;
  categoryId: string | null;
  companyId: string | null;
  proxyServerId: string | null;
  outgoingServerId: string | null;
  pop3DeleteAfterSave: boolean;
  afterProcessing: 'MARK_READ' | 'MOVE';
  moveToFolder: string | null;
  ewsUrl: string | null;
  oauthClientSecretExpiresAt: Date | null;
  filter: { type: FilterType; emails: string[]; domains: string[]; keywords: string[] } | null;
}

export interface ExistingSecrets { hasPassword: boolean; hasClientSecret: boolean }

type Shape = Record<string, z.ZodType>;

/** Each field on its own, so one bad field does not hide the others' problems. */
function parseFields(shape: Shape, raw: unknown, prefix: string[], errors: FieldError[]): { values: Record<string, unknown>; failed: Set<string> } {
  const source = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const failed = new Set<string>();
  for (const [key, schema] of Object.entries(shape)) {
    const result = schema.safeParse(source[key]);
    if (result.success) values[key] = result.data;
    else {
      failed.add(key);
      errors.push(...result.error.issues.map((i) => ({ path: [...prefix, key, ...i.path.map(String)], message: i.message })));
    }
  }
  return { values, failed };
}

/**
 * The input with every field checked at once (so the admin fixes everything in one round), and
 * what the rules after it need when a field was refused: a host that is present but malformed
 * still counts as given, a refused number as absent.
 */
function parseEachField(raw: unknown, errors: FieldError[]): ParsedInput | null {
  const { oauth: _oauth, ...top } = serverInputSchema.shape;
  const { values, failed } = parseFields(top, raw, [], errors);
  if (failed.has('protocol') || failed.has('provider')) return null;
  const source = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (failed.has('host')) values.host = String(source.host ?? '').trim() || null;
  if (failed.has('pollIntervalSeconds')) values.pollIntervalSeconds = 120;
  for (const key of ['security', 'authType', 'afterProcessing'] as const) if (failed.has(key)) values[key] = top[key].safeParse(undefined).data ?? null;
  let oauth: ParsedInput['oauth'] = null;
  if (source.oauth != null) {
    const parsed = parseFields(oauthInputSchema.shape, source.oauth, ['oauth'], errors);
    // A URL that is given but malformed is reported as such, not as missing.
    const given = source.oauth as Record<string, unknown>;
    for (const key of parsed.failed) parsed.values[key] = typeof given[key] === 'string' ? given[key] : null;
    oauth = parsed.values as ParsedInput['oauth'];
  }
  return { ...values, oauth } as ParsedInput;
}

/**
 * Applies SPEC §2's rules to an input: provider-managed settings, port auto-fill, Microsoft's
 * Basic-auth refusal, POP3 limits, required secrets. Pure: references to other rows are checked by the service.
 */
export function resolveServerInput(raw: unknown, existing: ExistingSecrets | null): { ok: true; value: ResolvedServer } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const fail = (path: string[], message: string) => errors.push({ path, message });
  const input = parseEachField(raw, errors);
  // Without a protocol and provider there is nothing the rules below can reason about.
  if (!input) return { ok: false, errors };

  let { host, port, security, authType } = input;
  host = host ?? null;
  if (input.provider === 'MICROSOFT') {
    // "Sign in with Microsoft": the provider decides where and how we connect.
    if (input.protocol === 'POP3') fail(['protocol'], 'Sign in with Microsoft supports IMAP, MAPI (EWS) and Microsoft Graph, not POP3');
    host = input.protocol === 'GRAPH' ? GRAPH_HOST : MICROSOFT_HOST;
    security = 'SSL';
    port = defaultPort(input.protocol, 'SSL');
    authType = 'OAUTH';
  } else {
    if (input.provider === 'GOOGLE' && !host) {
      host = input.protocol === 'POP3' ? 'pop.gmail.com' : input.protocol === 'IMAP' ? 'imap.gmail.com' : null;
    }
    if (input.protocol === 'GRAPH' && !host) host = GRAPH_HOST;
    if (!host) fail(['host'], 'Enter the server address');
    security = security ?? 'SSL';
    port = port ?? defaultPort(input.protocol, security);
    authType = authType ?? (input.provider === 'GOOGLE' ? 'OAUTH' : 'BASIC');
  }
  if (input.provider === 'GOOGLE' && (input.protocol === 'EWS' || input.protocol === 'GRAPH')) {
    fail(['protocol'], 'Google mailboxes are read over IMAP or POP3');
  }
  if (authType === 'BASIC' && isMicrosoftHosted(host)) {
    fail(['authType'], 'Microsoft has turned off Basic authentication for Exchange Online: use OAuth (Sign in with Microsoft)');
  }
  if (input.protocol === 'POP3' && authType === 'OAUTH') fail(['authType'], 'POP3 supports Basic authentication only');
  if (input.protocol === 'GRAPH' && authType === 'BASIC') fail(['authType'], 'Microsoft Graph accepts OAuth only');
  if (input.protocol === 'POP3' && input.realTimeScanning) {
    fail(['realTimeScanning'], 'POP3 cannot push new mail; real-time scanning needs IMAP (IDLE). The mailbox is polled instead.');
  }
  if (input.primary && !input.enabled) fail(['primary'], 'Only an enabled server can be primary');
  if (input.afterProcessing === 'MOVE' && !input.moveToFolder) fail(['moveToFolder'], 'Name the folder to move processed mail to');
  if (input.afterProcessing === 'MOVE' && input.protocol === 'POP3') fail(['afterProcessing'], 'POP3 has no folders; choose whether to delete or leave mail on the server');

  const password = input.password === null || input.password === undefined || input.password === '' ? undefined : input.password;
  if (authType === 'BASIC' && password === undefined && !existing?.hasPassword) fail(['password'], 'Enter the password (or app password)');

  let oauth: ResolvedServer['oauth'] = null;
  let oauthClientSecret: string | undefined;
  if (authType === 'OAUTH' && input.protocol !== 'POP3') {
    const o = input.oauth ?? {};
    oauthClientSecret = o.clientSecret ?? undefined;
    oauth = {
      clientId: o.clientId ?? null,
      authorizationUrl: o.authorizationUrl ?? null,
      tokenUrl: o.tokenUrl ?? null,
      scope: o.scope ?? defaultScope(input.protocol, input.provider),
      redirectUrl: o.redirectUrl ?? null,
      tenantId: o.tenantId ?? null,
    };
    if (input.provider === 'OTHER') {
      // Generic OAuth: the admin's own app registration, every setting required.
      const required = ['clientId', 'authorizationUrl', 'tokenUrl', 'scope', 'redirectUrl'] as const;
      for (const key of required) if (!oauth[key]) fail(['oauth', key], 'Required for OAuth');
      if (!oauthClientSecret && !existing?.hasClientSecret) fail(['oauth', 'clientSecret'], 'Required for OAuth');
    }
  }

  let filter: ResolvedServer['filter'] = null;
  if (input.filter && (input.filter.emails.length || input.filter.domains.length || input.filter.keywords.length)) {
    filter = {
      type: input.filter.type,
      emails: [...new Set(input.filter.emails)],
      domains: [...new Set(input.filter.domains)],
      keywords: [...new Set(input.filter.keywords)],
    };
  }

  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: input.name,
      email: input.email,
      protocol: input.protocol,
      provider: input.provider,
      host,
      port: port ?? null,
      security: security ?? null,
      authType,
      username: input.username || null,
      password: authType === 'BASIC' ? password : undefined,
      oauth,
      oauthClientSecret,
      enabled: input.enabled,
      primary: input.primary,
      realTimeScanning: input.realTimeScanning,
      allowSelfSignedCertificate: input.allowSelfSignedCertificate,
      pollIntervalSeconds: input.pollIntervalSeconds,
      technicianGroupId: input.technicianGroupId ?? null,
      categoryId: input.categoryId ?? null,
      companyId: input.companyId ?? null,
      proxyServerId: input.proxyServerId ?? null,
      outgoingServerId: input.outgoingServerId ?? null,
      pop3DeleteAfterSave: input.pop3DeleteAfterSave,
      afterProcessing: input.afterProcessing,
      moveToFolder: input.afterProcessing === 'MOVE' ? (input.moveToFolder ?? null) : null,
      ewsUrl: input.protocol === 'EWS' ? (input.ewsUrl ?? null) : null,
      oauthClientSecretExpiresAt: input.oauthClientSecretExpiresAt ?? null,
      filter,
    },
  };
}
