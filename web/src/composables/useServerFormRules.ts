import { ref, watch } from 'vue';
import type { IncomingEmailServerFieldsFragment } from '@/graphql/generated/graphql';
import { defaultOAuthScope } from '@/lib/oauthDefaults';
import { defaultPort } from '@/lib/portDefaults';
import {
  authTypeAllowed,
  emptyServerForm,
  googleHost,
  portIsCustom,
  protocolAllowed,
  serverFormFrom,
  type ServerFormState,
} from '@/lib/serverForm';

const GMAIL_HOST = /^(imap|pop)\.gmail\.com$/;

/**
 * How the incoming server form answers the admin's edits: port and OAuth scope follow protocol,
 * security and provider until typed over; provider, protocol and auth type stay on combinations
 * the server accepts; a disabled server is not primary. `load` fills the form without setting
 * any of this off, so a saved server's values are shown as they are.
 */
export function useServerFormRules(form: ServerFormState) {
  const portTouched = ref(false);
  const scopeTouched = ref(false);
  let loading = false;

  function load(server: IncomingEmailServerFieldsFragment | null): void {
    loading = true;
    Object.assign(form, server ? serverFormFrom(server) : emptyServerForm());
    loading = false;
    portTouched.value = server ? portIsCustom(form) : false;
    // A saved scope is the admin's choice; otherwise the scope follows provider and protocol.
    scopeTouched.value = server !== null && form.oauth.scope.trim() !== '';
  }

  /** Synchronous, so that `load` can tell its own writes from the admin's. */
  function onEdit<T>(source: () => T, effect: (value: T, previous: T | undefined) => void): void {
    watch(
      source,
      (value, previous) => {
        if (!loading) effect(value, previous);
      },
      { flush: 'sync' },
    );
  }

  onEdit(
    () => [form.protocol, form.security] as const,
    ([protocol, security]) => {
      if (!portTouched.value) form.port = String(defaultPort(protocol, security));
    },
  );

  onEdit(
    () => [form.provider, form.protocol] as const,
    ([provider, protocol]) => {
      if (!scopeTouched.value) form.oauth.scope = defaultOAuthScope(provider, protocol) ?? '';
    },
  );

  onEdit(
    () => form.provider,
    (provider, previous) => {
      if (!protocolAllowed(provider, form.protocol)) form.protocol = provider === 'MICROSOFT' ? 'GRAPH' : 'IMAP';
      if (provider === 'MICROSOFT' && previous !== 'MICROSOFT' && form.protocol === 'IMAP') form.protocol = 'GRAPH';
      // Graph is how Microsoft 365 is read; leaving "Sign in with Microsoft" goes back to the usual IMAP.
      if (previous === 'MICROSOFT' && provider !== 'MICROSOFT' && form.protocol === 'GRAPH') form.protocol = 'IMAP';
      if (provider === 'GOOGLE') {
        if (!form.host.trim()) form.host = googleHost(form.protocol);
        if (authTypeAllowed(form.protocol, 'OAUTH')) form.authType = 'OAUTH';
      }
      if (previous === 'GOOGLE' && GMAIL_HOST.test(form.host.trim())) form.host = '';
    },
  );

  onEdit(
    () => form.protocol,
    (protocol, previous) => {
      if (!authTypeAllowed(protocol, form.authType)) form.authType = form.authType === 'BASIC' ? 'OAUTH' : 'BASIC';
      if (protocol === 'POP3') form.realTimeScanning = false;
      // POP3 was the only reason real-time scanning was off; IMAP, EWS and Graph can push.
      else if (previous === 'POP3') form.realTimeScanning = true;
      if (form.provider === 'GOOGLE' && GMAIL_HOST.test(form.host.trim())) form.host = googleHost(protocol);
    },
  );

  onEdit(
    () => form.enabled,
    (enabled) => {
      if (!enabled) form.primary = false;
    },
  );

  /** The admin typed a port: it stays when protocol or security change (an emptied field follows them again). */
  function portEdited(): void {
    portTouched.value = form.port.trim() !== '';
  }

  function scopeEdited(): void {
    scopeTouched.value = form.oauth.scope.trim() !== '';
  }

  return { load, portTouched, portEdited, scopeEdited };
}
