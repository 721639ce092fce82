// How EWS failures become our wording: the library's error objects (including a real SOAP fault
// parsed by ews-javascript-api through our HTTP adapter), never the server's text.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEwsFailure, ewsMailError, EWS_SHUTDOWN_WARNING, serverBusyBackoff } from '../../server/src/mail/ews/ews-errors.ts';
import { loadEws } from '../../server/src/mail/ews/ews-lib.ts';
import { createEwsService } from '../../server/src/mail/ews/ews-service.ts';
import { EwsTransportError, FetchXhrApi } from '../../server/src/mail/ews/ews-xhr.ts';

// ews-javascript-api is the server's dependency; load it the way the server does.
const ews = await loadEws();
const ctx = { oauth: false, host: 'mail.contoso.com', mailbox: 'support@contoso.com' };

// The fault Exchange returns when it throttles a caller (HTTP 500), per the EWS throttling documentation.
const SERVER_BUSY = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>
<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml>
</detail></s:Fault></s:Body></s:Envelope>`;

describe('EWS errors through the library', () => {
  let server: http.Server;
  let url: string;
  let answer: { status: number; body: string; headers?: Record<string, string> };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'text/xml; charset=utf-8', ...answer.headers });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/EWS/Exchange.asmx`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function failWith(a: typeof answer, target = url) {
    answer = a;
    const xhr = new FetchXhrApi({ timeoutMs: 5000, guard: { allowLoopback: true }, redirects: 'same-origin' });
    const service = createEwsService(ews, new URL(target), { kind: 'basic', username: 'u', password: 'p' }, xhr);
    const err = await ews.Folder.Bind(service, ews.WellKnownFolderName.Inbox).then(() => null, (e: unknown) => e);
    return { err, xhr };
  }

  it('ErrorServerBusy (SOAP fault, HTTP 500) → THROTTLED with its BackOffMilliseconds', async () => {
    const { err, xhr } = await failWith({ status: 500, body: SERVER_BUSY });
    expect(err).toBeInstanceOf(ews.SoapFaultDetails);
    expect(describeEwsFailure(ews, err, xhr)).toEqual({ type: 'busy', backOffMs: 297749 });
    const mailError = ewsMailError(describeEwsFailure(ews, err, xhr), ctx);
    expect(mailError.kind).toBe('THROTTLED');
    expect(mailError.retryAfterMs).toBe(297749);
    expect(mailError.message).not.toContain('Try again later');
  });

  it('401 → AUTH, worded for Basic or OAuth', async () => {
    const { err, xhr } = await failWith({ status: 401, body: '', headers: { 'www-authenticate': 'Basic realm="x"' } });
    const failure = describeEwsFailure(ews, err, xhr);
    expect(failure).toEqual({ type: 'http', status: 401, wwwAuthenticate: 'Basic realm="x"' });
    expect(ewsMailError(failure, ctx).message).toBe('Exchange refused the username or password');
    expect(ewsMailError(failure, { ...ctx, oauth: true }).message).toBe('Exchange refused the OAuth access token: sign in again from the server settings');
  });

  it('403 → EWS not enabled; 404 → no EWS at this URL', async () => {
    const forbidden = await failWith({ status: 403, body: '' });
    expect(ewsMailError(describeEwsFailure(ews, forbidden.err, forbidden.xhr), ctx)).toMatchObject({ kind: 'PROTOCOL', message: expect.stringMatching(/EWS is probably not enabled/) });
    const missing = await failWith({ status: 404, body: '<html>IIS</html>' });
    expect(ewsMailError(describeEwsFailure(ews, missing.err, missing.xhr), ctx).message).toBe('There is no EWS service at this address: check the host or the EWS URL');
  });

  it('connection refused → NETWORK with the socket code', async () => {
    const { err, xhr } = await failWith({ status: 200, body: '' }, 'http://127.0.0.1:1/EWS/Exchange.asmx');
    const failure = describeEwsFailure(ews, err, xhr);
    expect(failure.type).toBe('transport');
    expect(ewsMailError(failure, ctx).kind).toBe('NETWORK');
  });

  it('an error response message (ErrorNonExistentMailbox) → PROTOCOL naming the mailbox', async () => {
    const body = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<m:GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>
<m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>The SMTP address has no mailbox associated with it.</m:MessageText><m:ResponseCode>ErrorNonExistentMailbox</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:GetFolderResponseMessage>
</m:ResponseMessages></m:GetFolderResponse></s:Body></s:Envelope>`;
    const { err, xhr } = await failWith({ status: 200, body });
    expect(describeEwsFailure(ews, err, xhr)).toEqual({ type: 'response', code: 'ErrorNonExistentMailbox' });
    expect(ewsMailError(describeEwsFailure(ews, err, xhr), ctx).message).toBe('Exchange has no mailbox support@contoso.com');
  });
});

describe('ewsMailError', () => {
  it('certificate problems → TLS pointing to "Allow self-signed certificate"', () => {
    const e = ewsMailError({ type: 'transport', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, ctx);
    expect(e.kind).toBe('TLS');
    expect(e.message).toMatch(/Allow self-signed certificate/);
  });

  it('a busy answer without a hint backs off 30 s', () => {
    expect(ewsMailError({ type: 'busy', backOffMs: null }, ctx).retryAfterMs).toBe(30_000);
  });

  it('on Microsoft-hosted Exchange every failure also says EWS is ending there and to use Graph', () => {
    const e = ewsMailError({ type: 'http', status: 401, wwwAuthenticate: null }, { ...ctx, oauth: true, host: 'outlook.office365.com' });
    expect(e.kind).toBe('AUTH');
    expect(e.message).toBe(`Exchange refused the OAuth access token: sign in again from the server settings. ${EWS_SHUTDOWN_WARNING}`);
    expect(ewsMailError({ type: 'unknown' }, ctx).message).not.toContain('2026');
  });

  it('transport errors from the adapter are described even without the HTTP record', () => {
    const err = new EwsTransportError(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }));
    expect(describeEwsFailure(ews, err, null)).toEqual({ type: 'transport', code: 'ECONNRESET' });
  });

  it('reads BackOffMilliseconds from a per-item error response', () => {
    const details = new Map([['BackOffMilliseconds', '1500']]);
    const dict = { containsKey: (k: string) => details.has(k), get: (k: string) => details.get(k) };
    expect(serverBusyBackoff(ews, { ErrorCode: ews.ServiceError.ErrorServerBusy, ErrorDetails: dict })).toBe(1500);
    expect(serverBusyBackoff(ews, { ErrorCode: ews.ServiceError.ErrorItemNotFound, ErrorDetails: dict })).toBeUndefined();
  });
});
