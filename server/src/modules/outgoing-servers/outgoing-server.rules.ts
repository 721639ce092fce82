import { z } from 'zod';
import { emailAddress } from '../../lib/inputs.js';
import { zodFieldErrors, type FieldError } from '../../lib/errors.js';
import { defaultSmtpPort, type SmtpSecurity } from '../../mail/outbound/smtp.js';

const hostname = z
  .string()
  .trim()
  .min(1, 'Enter the server address')
  .max(253)
  .regex(/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9a-fA-F:]+\]?$/, 'Not a valid host name or IP address');

const oneLine = (max: number) => z.string().trim().max(max).refine((v) => !/[\r\n]/.test(v), 'Must be on one line');

export const outgoingServerInputSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  host: hostname,
  port: z.number().int().min(1, 'Port must be between 1 and 65535').max(65535, 'Port must be between 1 and 65535').nullish(),
  security: z.enum(['NONE', 'SSL', 'TLS']).default('TLS'),
  authType: z.enum(['NONE', 'BASIC']).default('BASIC'),
  username: oneLine(500).nullish(),
  password: z.string().max(2000).nullish(),
  fromAddress: emailAddress(),
  fromName: oneLine(200).nullish(),
  allowSelfSignedCertificate: z.boolean().default(false),
  enabled: z.boolean().default(true),
  /** null / omitted: the first server becomes primary, later ones keep what they have. */
  primary: z.boolean().nullish(),
});

export interface ResolvedOutgoingServer {
  name: string;
  host: string;
  port: number;
  security: SmtpSecurity;
  authType: 'NONE' | 'BASIC';
  username: string | null;
  /** undefined = keep the stored one; null = remove it. */
  password: string | null | undefined;
  fromAddress: string;
  fromName: string | null;
  allowSelfSignedCertificate: boolean;
  enabled: boolean;
  primary: boolean | null;
}

/** Port from security when not typed, credentials required for Basic auth, none kept without it. Pure. */
export function resolveOutgoingInput(raw: unknown, existing: { hasPassword: boolean } | null): { ok: true; value: ResolvedOutgoingServer } | { ok: false; errors: FieldError[] } {
  const parsed = outgoingServerInputSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodFieldErrors(parsed.error) };
  const v = parsed.data;
  const errors: FieldError[] = [];
  const basic = v.authType === 'BASIC';
  const password = basic ? (v.password ? v.password : undefined) : null;
  if (basic && password === undefined && !existing?.hasPassword) errors.push({ path: ['password'], message: 'Enter the password for Basic authentication' });
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: v.name,
      host: v.host,
      port: v.port ?? defaultSmtpPort(v.security),
      security: v.security,
      authType: v.authType,
      username: basic ? v.username || null : null,
      password,
      fromAddress: v.fromAddress,
      fromName: v.fromName || null,
      allowSelfSignedCertificate: v.allowSelfSignedCertificate,
      enabled: v.enabled,
      primary: v.primary ?? null,
    },
  };
}
