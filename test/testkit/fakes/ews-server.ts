// An Exchange Web Services endpoint for tests: the SOAP shapes of Microsoft's EWS reference
// (GetFolder, FindFolder, SyncFolderItems, FindItem, GetItem with MimeContent, UpdateItem
// IsRead, MoveItem, SOAP faults such as ErrorServerBusy with BackOffMilliseconds) over an
// in-memory mailbox. Exchange itself cannot run here; the connector must not be able to tell.
//
// Sync states are opaque to clients, as on Exchange: here they encode a position in the
// mailbox's change sequence, so SyncFolderItems returns the net changes since then
// (Create / ReadFlagChange / Delete), at most MaxChangesReturned at a time.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';

export interface FakeEwsOptions {
  /** Basic auth (on-premises Exchange with WebCredentials). */
  basic?: { username: string; password: string };
  /** Accepted OAuth bearer tokens. */
  bearerTokens?: string[];
  /** Set-CASMailbox -EwsEnabled $false: every authenticated request gets 403. */
  ewsEnabled?: boolean;
  /** The mailbox's SMTP address: folders addressed to another mailbox answer ErrorNonExistentMailbox. */
  mailbox?: string;
  /** Serve HTTPS with this certificate (e.g. a self-signed one, as on-premises Exchange often has). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface FakeItem {
  id: string;
  changeKey: string;
  folderId: string;
  mime: Buffer;
  isRead: boolean;
  /** Change-sequence number when the item entered its current folder. */
  addedSeq: number;
  readChangedSeq: number;
}

export interface FakeFolder { id: string; displayName: string; parentId: string | null; distinguished?: string }

export type EwsFault =
  | { kind: 'ServerBusy'; backOffMs: number }
  | { kind: 'http'; status: number }
  /** An error response message in a 200 answer (one per item of a batch), as Exchange reports per-item failures. */
  | { kind: 'responseError'; code: string; backOffMs?: number };

export interface EwsRequestLog { operation: string; at: number; status: number; authorization: string | null; body: string }

interface Departure { itemId: string; folderId: string; addedSeq: number; seq: number }

const isJwtShaped = (token: string) => /^[A-Za-z0-9-_]+\.[A-Za-z0-9-_]+\.[A-Za-z0-9-_]*$/.test(token);

export class FakeEwsServer {
  readonly folders = new Map<string, FakeFolder>();
  readonly items = new Map<string, FakeItem>();
  readonly requests: EwsRequestLog[] = [];
  /** Ids of the items whose MIME content was sent (GetItem with item:MimeContent). */
  readonly mimeServed: string[] = [];
  readonly faults: { operation: string; fault: EwsFault }[] = [];
  /** Runs before an authenticated request is answered (e.g. to look at the database at that moment). */
  beforeAnswer: ((operation: string) => Promise<void>) | null = null;
  readonly hookErrors: unknown[] = [];
  private readonly departures: Departure[] = [];
  private seq = 0;
  private server!: http.Server;
  port = 0;

  private constructor(public options: FakeEwsOptions) {
    const root = this.addFolder({ displayName: 'Top of Information Store', parentId: null, distinguished: 'msgfolderroot' });
    this.addFolder({ displayName: 'Inbox', parentId: root.id, distinguished: 'inbox' });
  }

  static async start(options: FakeEwsOptions): Promise<FakeEwsServer> {
    const fake = new FakeEwsServer(options);
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void fake.handle(req, res);
    fake.server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/EWS/Exchange.asmx`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  folder(distinguishedOrName: string): FakeFolder {
    const found = [...this.folders.values()].find((f) => f.distinguished === distinguishedOrName || f.displayName === distinguishedOrName);
    if (!found) throw new Error(`no folder ${distinguishedOrName}`);
    return found;
  }

  addFolder(f: { displayName: string; parentId: string | null; distinguished?: string }): FakeFolder {
    const folder = { id: newId('AQMkAD'), ...f };
    this.folders.set(folder.id, folder);
    return folder;
  }

  /** Delivers a message into a folder (the Inbox by default); returns its item id. */
  deliver(raw: string | Buffer, opts: { isRead?: boolean; folder?: string } = {}): string {
    const item: FakeItem = {
      id: newId('AAMkAD'), changeKey: newId('CQAAAB'), folderId: this.folder(opts.folder ?? 'inbox').id,
      mime: Buffer.from(raw), isRead: opts.isRead ?? false, addedSeq: ++this.seq, readChangedSeq: 0,
    };
    this.items.set(item.id, item);
    return item.id;
  }

  /** A person reading the message in Outlook. */
  markRead(itemId: string, isRead = true): void {
    const item = this.items.get(itemId);
    if (!item) throw new Error('no such item');
    item.isRead = isRead;
    item.readChangedSeq = ++this.seq;
  }

  itemsIn(folder: string): FakeItem[] {
    const id = this.folder(folder).id;
    return [...this.items.values()].filter((i) => i.folderId === id).sort((a, b) => a.addedSeq - b.addedSeq);
  }

  /** Fails the next request for `operation` ('*' for any) with the given fault. */
  failNext(operation: string, fault: EwsFault): void {
    this.faults.push({ operation, fault });
  }

  operations(name?: string): EwsRequestLog[] {
    return name ? this.requests.filter((r) => r.operation === name) : this.requests;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const operation = /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(body)?.[1] ?? 'unknown';
    const log: EwsRequestLog = { operation, at: Date.now(), status: 0, authorization: req.headers.authorization ?? null, body };
    this.requests.push(log);
    const send = (status: number, xml: string, headers: Record<string, string> = {}) => {
      log.status = status;
      res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8', ...headers });
      res.end(xml);
    };

    if (req.method !== 'POST' || req.url?.split('?')[0]?.toLowerCase() !== '/ews/exchange.asmx') return send(404, '');
    if (!this.authorized(req.headers.authorization)) {
      const challenge = this.options.bearerTokens ? 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="", token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token"' : 'Basic realm="127.0.0.1"';
      log.status = 401;
      res.writeHead(401, { 'www-authenticate': challenge, 'content-length': '0' });
      return void res.end();
    }
    if (this.options.ewsEnabled === false) return send(403, '');
    try {
      await this.beforeAnswer?.(operation);
    } catch (err) {
      // A test's hook failing must fail that request, not crash the run as an unhandled rejection.
      this.hookErrors.push(err);
      return send(500, '');
    }

    const addressed = [...body.matchAll(/<(?:\w+:)?Mailbox>\s*<(?:\w+:)?EmailAddress>([^<]*)</g)].map((m) => unescapeXml(m[1]!).toLowerCase());
    if (this.options.mailbox && addressed.some((a) => a !== this.options.mailbox!.toLowerCase())) {
      return send(200, envelope(`<m:${operation}Response xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${errorMessage(operation, 'ErrorNonExistentMailbox')}</m:ResponseMessages></m:${operation}Response>`));
    }

    const faultIndex = this.faults.findIndex((f) => f.operation === operation || f.operation === '*');
    if (faultIndex >= 0) {
      const { fault } = this.faults.splice(faultIndex, 1)[0]!;
      if (fault.kind === 'ServerBusy') return send(500, serverBusyFault(fault.backOffMs));
      if (fault.kind === 'http') return send(fault.status, '');
      // One response message per item of a batch request, as Exchange answers.
      const count = Math.max(1, this.itemIds(section(body, 'ItemIds') ?? '').length, (body.match(/<(?:\w+:)?ItemChange>/g) ?? []).length);
      const messages = Array.from({ length: count }, () => errorMessage(operation, fault.code, fault.backOffMs)).join('');
      return send(200, envelope(`<m:${operation}Response xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${messages}</m:ResponseMessages></m:${operation}Response>`));
    }

    switch (operation) {
      case 'GetFolder': return send(200, this.getFolder(body));
      case 'FindFolder': return send(200, this.findFolder(body));
      case 'SyncFolderItems': return send(200, this.syncFolderItems(body));
      case 'FindItem': return send(200, this.findItem(body));
      case 'GetItem': return send(200, this.getItem(body));
      case 'UpdateItem': return send(200, this.updateItem(body));
      case 'MoveItem': return send(200, this.moveItem(body));
      default: return send(500, soapFault('a:ErrorInvalidRequest', 'ErrorInvalidRequest', 'The request is invalid.'));
    }
  }

  private authorized(header: string | undefined): boolean {
    if (!header) return false;
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme === 'Bearer') return Boolean(this.options.bearerTokens?.includes(value) && isJwtShaped(value));
    if (scheme === 'Basic' && this.options.basic) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return decoded === `${this.options.basic.username}:${this.options.basic.password}`;
    }
    return false;
  }

  /** FolderId / DistinguishedFolderId elements of a request section, in order. */
  private folderRefs(xml: string): (FakeFolder | null)[] {
    const refs: (FakeFolder | null)[] = [];
    const re = /<(?:\w+:)?(FolderId|DistinguishedFolderId)\s+Id="([^"]*)"/g;
    for (let m; (m = re.exec(xml));) {
      const [, kind, id] = m;
      refs.push(kind === 'FolderId' ? (this.folders.get(unescapeXml(id!)) ?? null) : ([...this.folders.values()].find((f) => f.distinguished === id) ?? null));
    }
    return refs;
  }

  private getFolder(body: string): string {
    const shape = section(body, 'FolderShape') ?? '';
    const messages = this.folderRefs(section(body, 'FolderIds') ?? '').map((folder) => {
      if (!folder) return errorMessage('GetFolder', 'ErrorFolderNotFound');
      return `<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders>${this.folderXml(folder, shape)}</m:Folders></m:GetFolderResponseMessage>`;
    });
    return envelope(`<m:GetFolderResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${messages.join('')}</m:ResponseMessages></m:GetFolderResponse>`);
  }

  /** A Folder element for a FolderShape: IdOnly (plus DisplayName if asked for), or the default properties. */
  private folderXml(folder: FakeFolder, shape: string): string {
    const id = `<t:FolderId Id="${escapeXml(folder.id)}" ChangeKey="AQAAABYAAAA="/>`;
    if (section(shape, 'BaseShape') === 'IdOnly') {
      const name = /FieldURI="folder:DisplayName"/.test(shape) ? `<t:DisplayName>${escapeXml(folder.displayName)}</t:DisplayName>` : '';
      return `<t:Folder>${id}${name}</t:Folder>`;
    }
    const inFolder = [...this.items.values()].filter((i) => i.folderId === folder.id);
    const children = [...this.folders.values()].filter((f) => f.parentId === folder.id).length;
    return `<t:Folder>${id}<t:DisplayName>${escapeXml(folder.displayName)}</t:DisplayName><t:TotalCount>${inFolder.length}</t:TotalCount>`
      + `<t:ChildFolderCount>${children}</t:ChildFolderCount><t:UnreadCount>${inFolder.filter((i) => !i.isRead).length}</t:UnreadCount></t:Folder>`;
  }

  private findFolder(body: string): string {
    const deep = /Traversal="Deep"/.test(body);
    const parent = this.folderRefs(section(body, 'ParentFolderIds') ?? '')[0];
    if (!parent) return envelope(`<m:FindFolderResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${errorMessage('FindFolder', 'ErrorFolderNotFound')}</m:ResponseMessages></m:FindFolderResponse>`);
    const wanted = /FieldURI="folder:DisplayName"[\s\S]*?<(?:\w+:)?Constant\s+Value="([^"]*)"/.exec(section(body, 'Restriction') ?? '')?.[1];
    const under = (id: string): FakeFolder[] => [...this.folders.values()]
      .filter((f) => f.parentId === id)
      .flatMap((f) => (deep ? [f, ...under(f.id)] : [f]));
    const found = under(parent.id).filter((f) => wanted === undefined || f.displayName.toLowerCase() === unescapeXml(wanted).toLowerCase());
    const shape = section(body, 'FolderShape') ?? '';
    return envelope(`<m:FindFolderResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages><m:FindFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>`
      + `<m:RootFolder IndexedPagingOffset="${found.length}" TotalItemsInView="${found.length}" IncludesLastItemInRange="true"><t:Folders>${found.map((f) => this.folderXml(f, shape)).join('')}</t:Folders></m:RootFolder>`
      + '</m:FindFolderResponseMessage></m:ResponseMessages></m:FindFolderResponse>');
  }

  private syncFolderItems(body: string): string {
    const folder = this.folderRefs(section(body, 'SyncFolderId') ?? '')[0];
    const wrap = (inner: string) => envelope(`<m:SyncFolderItemsResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${inner}</m:ResponseMessages></m:SyncFolderItemsResponse>`);
    if (!folder) return wrap(errorMessage('SyncFolderItems', 'ErrorFolderNotFound'));
    const stateText = section(body, 'SyncState');
    let since = 0;
    if (stateText) {
      const decoded = /^fake-sync:(.+):(\d+)$/.exec(Buffer.from(stateText, 'base64').toString('utf8'));
      if (!decoded || decoded[1] !== folder.id) return wrap(errorMessage('SyncFolderItems', 'ErrorInvalidSyncStateData'));
      since = Number(decoded[2]);
    }
    const max = Math.max(1, Math.min(512, Number(section(body, 'MaxChangesReturned') ?? 512)));
    const withIsRead = /FieldURI="message:IsRead"/.test(section(body, 'ItemShape') ?? '');
    const withSize = /FieldURI="item:Size"/.test(section(body, 'ItemShape') ?? '');

    const changes: { seq: number; xml: string }[] = [];
    for (const item of this.items.values()) {
      if (item.folderId !== folder.id) continue;
      const id = `<t:ItemId Id="${escapeXml(item.id)}" ChangeKey="${escapeXml(item.changeKey)}"/>`;
      if (item.addedSeq > since) {
        const size = withSize ? `<t:Size>${item.mime.length}</t:Size>` : '';
        changes.push({ seq: item.addedSeq, xml: `<t:Create><t:Message>${id}${size}${withIsRead ? `<t:IsRead>${item.isRead}</t:IsRead>` : ''}</t:Message></t:Create>` });
      } else if (item.readChangedSeq > since) {
        changes.push({ seq: item.readChangedSeq, xml: `<t:ReadFlagChange><t:ItemId Id="${escapeXml(item.id)}"/><t:IsRead>${item.isRead}</t:IsRead></t:ReadFlagChange>` });
      }
    }
    for (const d of this.departures) {
      if (d.folderId === folder.id && d.seq > since && d.addedSeq <= since) changes.push({ seq: d.seq, xml: `<t:Delete><t:ItemId Id="${escapeXml(d.itemId)}"/></t:Delete>` });
    }
    changes.sort((a, b) => a.seq - b.seq);
    const page = changes.slice(0, max);
    const last = page.length === changes.length;
    const upTo = last ? this.seq : page[page.length - 1]!.seq;
    const state = Buffer.from(`fake-sync:${folder.id}:${upTo}`).toString('base64');
    return wrap(`<m:SyncFolderItemsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:SyncState>${state}</m:SyncState>`
      + `<m:IncludesLastItemInRange>${last}</m:IncludesLastItemInRange><m:Changes>${page.map((c) => c.xml).join('')}</m:Changes></m:SyncFolderItemsResponseMessage>`);
  }

  private findItem(body: string): string {
    const folder = this.folderRefs(section(body, 'ParentFolderIds') ?? '')[0];
    const wrap = (inner: string) => envelope(`<m:FindItemResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${inner}</m:ResponseMessages></m:FindItemResponse>`);
    if (!folder) return wrap(errorMessage('FindItem', 'ErrorFolderNotFound'));
    const unreadOnly = /FieldURI="message:IsRead"[\s\S]*?Constant\s+Value="false"/.test(section(body, 'Restriction') ?? '');
    const found = [...this.items.values()].filter((i) => i.folderId === folder.id && (!unreadOnly || !i.isRead));
    const xml = found.map((i) => `<t:Message><t:ItemId Id="${escapeXml(i.id)}" ChangeKey="${escapeXml(i.changeKey)}"/><t:IsRead>${i.isRead}</t:IsRead></t:Message>`).join('');
    return wrap(`<m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="${found.length}" IncludesLastItemInRange="true"><t:Items>${xml}</t:Items></m:RootFolder></m:FindItemResponseMessage>`);
  }

  private itemIds(xml: string): string[] {
    return [...xml.matchAll(/<(?:\w+:)?ItemId\s+Id="([^"]*)"/g)].map((m) => unescapeXml(m[1]!));
  }

  private getItem(body: string): string {
    const shape = section(body, 'ItemShape') ?? '';
    const mime = /FieldURI="item:MimeContent"/.test(shape);
    const headers = /FieldURI="item:InternetMessageHeaders"/.test(shape);
    const messages = this.itemIds(section(body, 'ItemIds') ?? '').map((id) => {
      const item = this.items.get(id);
      if (!item) return errorMessage('GetItem', 'ErrorItemNotFound');
      if (mime) this.mimeServed.push(item.id);
      const mimeXml = mime ? `<t:MimeContent CharacterSet="UTF-8">${item.mime.toString('base64')}</t:MimeContent>` : '';
      const headersXml = headers ? `<t:InternetMessageHeaders>${headerFields(item.mime).map(([name, value]) => `<t:InternetMessageHeader HeaderName="${escapeXml(name)}">${escapeXml(value)}</t:InternetMessageHeader>`).join('')}</t:InternetMessageHeaders>` : '';
      return `<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:Message>${mimeXml}`
        + `<t:ItemId Id="${escapeXml(item.id)}" ChangeKey="${escapeXml(item.changeKey)}"/>${headersXml}</t:Message></m:Items></m:GetItemResponseMessage>`;
    });
    return envelope(`<m:GetItemResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${messages.join('')}</m:ResponseMessages></m:GetItemResponse>`);
  }

  private updateItem(body: string): string {
    const changes = [...body.matchAll(/<(?:\w+:)?ItemChange>([\s\S]*?)<\/(?:\w+:)?ItemChange>/g)].map((m) => m[1]!);
    const messages = changes.map((change) => {
      const item = this.items.get(this.itemIds(change)[0] ?? '');
      if (!item) return errorMessage('UpdateItem', 'ErrorItemNotFound');
      const isRead = /FieldURI="message:IsRead"[\s\S]*?<(?:\w+:)?IsRead>(true|false)</.exec(change)?.[1];
      if (isRead !== undefined && (isRead === 'true') !== item.isRead) this.markRead(item.id, isRead === 'true');
      item.changeKey = newId('CQAAAB');
      return `<m:UpdateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:Message>`
        + `<t:ItemId Id="${escapeXml(item.id)}" ChangeKey="${escapeXml(item.changeKey)}"/></t:Message></m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults></m:UpdateItemResponseMessage>`;
    });
    return envelope(`<m:UpdateItemResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${messages.join('')}</m:ResponseMessages></m:UpdateItemResponse>`);
  }

  private moveItem(body: string): string {
    const target = this.folderRefs(section(body, 'ToFolderId') ?? '')[0];
    const returnNewIds = section(body, 'ReturnNewItemIds') !== 'false';
    const messages = this.itemIds(section(body, 'ItemIds') ?? '').map((id) => {
      const item = this.items.get(id);
      if (!target) return errorMessage('MoveItem', 'ErrorFolderNotFound');
      if (!item) return errorMessage('MoveItem', 'ErrorItemNotFound');
      // Exchange gives a moved item a new id: the old one no longer resolves.
      this.items.delete(item.id);
      this.departures.push({ itemId: item.id, folderId: item.folderId, addedSeq: item.addedSeq, seq: ++this.seq });
      const moved = { ...item, id: newId('AAMkAD'), changeKey: newId('CQAAAB'), folderId: target.id, addedSeq: ++this.seq, readChangedSeq: 0 };
      this.items.set(moved.id, moved);
      const items = returnNewIds ? `<t:Message><t:ItemId Id="${escapeXml(moved.id)}" ChangeKey="${escapeXml(moved.changeKey)}"/></t:Message>` : '';
      return `<m:MoveItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items>${items}</m:Items></m:MoveItemResponseMessage>`;
    });
    return envelope(`<m:MoveItemResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages>${messages.join('')}</m:ResponseMessages></m:MoveItemResponse>`);
  }
}

function newId(prefix: string): string {
  return prefix + randomBytes(48).toString('base64');
}

function section(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(xml);
  return m?.[1];
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function envelope(body: string): string {
  return '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
    + `<h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="V2017_07_11" xmlns:h="${T}" xmlns="${T}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>`
    + `</s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${body}</s:Body></s:Envelope>`;
}

const MESSAGE_TEXT: Record<string, string> = {
  ErrorItemNotFound: 'The specified object was not found in the store.',
  ErrorFolderNotFound: 'The specified folder could not be found in the store.',
  ErrorInvalidSyncStateData: 'Synchronization state data is corrupt or otherwise invalid.',
  ErrorServerBusy: 'The server cannot service this request right now. Try again later.',
  ErrorNonExistentMailbox: 'The SMTP address has no mailbox associated with it.',
};

function errorMessage(operation: string, code: string, backOffMs?: number): string {
  const messageXml = backOffMs === undefined ? '' : `<m:MessageXml><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></m:MessageXml>`;
  return `<m:${operation}ResponseMessage ResponseClass="Error"><m:MessageText>${MESSAGE_TEXT[code] ?? code}</m:MessageText>`
    + `<m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${messageXml}</m:${operation}ResponseMessage>`;
}

function soapFault(faultCode: string, responseCode: string, message: string, messageXml = ''): string {
  return '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
    + `<faultcode xmlns:a="${T}">${faultCode}</faultcode><faultstring xml:lang="en-US">${message}</faultstring><detail>`
    + `<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${responseCode}</e:ResponseCode>`
    + `<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${message}</e:Message>${messageXml}`
    + '</detail></s:Fault></s:Body></s:Envelope>';
}

/** The fault Exchange's throttling returns (HTTP 500), with the back-off hint in MessageXml. */
function serverBusyFault(backOffMs: number): string {
  return soapFault('a:ErrorServerBusy', 'ErrorServerBusy', MESSAGE_TEXT.ErrorServerBusy!,
    `<t:MessageXml xmlns:t="${T}"><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></t:MessageXml>`);
}

/** A message's header fields, unfolded, as Exchange lists them in InternetMessageHeaders. */
function headerFields(mime: Buffer): [string, string][] {
  const text = mime.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const unfolded = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return unfolded.split(/\r?\n/).map((line) => /^([^:\s]+):\s*(.*)$/.exec(line)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]);
}
