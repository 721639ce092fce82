import { MailError } from '../connector.js';
import { fetchFailureCode } from '../http-client.js';
import { GraphError, GraphTransportError } from './graph-client.js';
import { DeltaFormatError } from './graph-delta.js';

/** Our wording for a failed Graph session; Graph's own messages are never shown. */
export function graphMailError(err: unknown, ctx: { mailbox: string }): MailError {
  if (err instanceof MailError) return err;
  if (err instanceof GraphTransportError) {
    const code = fetchFailureCode(err.cause) ?? 'connection failed';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
      return new MailError('TLS', `The server's TLS certificate was not accepted (${code})`);
    }
    if (/^ERR_SSL|^ERR_TLS|EPROTO/.test(code)) return new MailError('TLS', 'TLS handshake failed: the security type probably does not match the port');
    return new MailError('NETWORK', `Could not reach Microsoft Graph (${code})`);
  }
  if (err instanceof GraphError) {
    switch (err.status) {
      case 401: return new MailError('AUTH', 'Microsoft Graph refused the access token: sign in with Microsoft again from the server settings');
      case 403:
        return new MailError('AUTH', `Microsoft Graph denied access to the mailbox ${ctx.mailbox}: the sign-in needs the Mail.ReadWrite permission, and for a shared mailbox the signed-in account needs full access to it`);
      case 404:
        if (err.code === 'MailboxNotEnabledForRESTAPI') return new MailError('PROTOCOL', `${ctx.mailbox} has no Exchange Online mailbox that Microsoft Graph can read (on-premises, inactive or unlicensed)`);
        if (err.code === 'ErrorInvalidUser' || err.code === 'ResourceNotFound') return new MailError('PROTOCOL', `Microsoft Graph has no mailbox ${ctx.mailbox}`);
        return new MailError('PROTOCOL', `Microsoft Graph answered HTTP 404${err.code ? ` (${err.code})` : ''}`);
      default:
        return new MailError(err.status >= 500 ? 'NETWORK' : 'PROTOCOL', err.message);
    }
  }
  if (err instanceof DeltaFormatError || err instanceof SyntaxError) return new MailError('PROTOCOL', 'Microsoft Graph sent an answer Mailroom cannot read');
  return new MailError('INTERNAL', 'The Microsoft Graph session failed unexpectedly');
}
