// A Microsoft Graph mail endpoint for tests: the JSON shapes of Microsoft's Graph reference for
// `mailFolders('Inbox')/messages/delta` (pages with @odata.nextLink / @odata.deltaLink, $select,
// changeType, Prefer odata.maxpagesize), `messages/{id}/$value`, PATCH isRead, POST move,
// mailFolders lookups, errors ({"error":{"code","message"}}), 429 with Retry-After, and
// `Prefer: IdType="ImmutableId"` (without it, ids change when a message moves). Like Exchange
// Online it refuses a fifth concurrent request for one mailbox (MailboxConcurrency).
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeGraphOptions {
  /** Accepted bearer tokens. */
  tokens: string[];
  /** Mailboxes (user principal names / SMTP addresses) that exist. */
  mailboxes: string[];
  /** Mailboxes the token may not open (403 ErrorAccessDenied). */
  forbidden?: string[];
  /** Mailboxes without an Exchange Online mailbox (404 MailboxNotEnabledForRESTAPI). */
  restDisabled?: string[];
  /** Delay before answering each request, so concurrent requests overlap. */
  latencyMs?: number;
  /** Graph may return fewer messages per page than `odata.maxpagesize` asked for. */
  pageSizeCap?: number;
  /** Serve HTTPS with this certificate. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Exchange Online's per-mailbox concurrency limit. */
  maxConcurrentPerMailbox?: number;
}

export interface GraphMessage {
  immutableId: string;
  /** The default (REST) id: changes when the message moves to another folder. */
  restId: string;
  mailbox: string;
  folderId: string;
  mime: Buffer;
  isRead: boolean;
  receivedDateTime: string;
  addedSeq: number;
  changedSeq: number;
}

export interface GraphFolder { id: string; mailbox: string; displayName: string; parentFolderId: string | null; wellKnown?: string }

export interface GraphRequestLog { method: string; path: string; at: number; status: number; authorization: string | null; prefer: string | null }

interface Removal { immutableId: string; restId: string; folderId: string; addedSeq: number; seq: number }

interface DeltaState { folderId: string; since: number; upTo: number; after: number; select: string[] | null; changeType: string | null; pageSize: number }

const DEFAULT_PAGE_SIZE = 10;

export class FakeGraphServer {
  readonly folders = new Map<string, GraphFolder>();
  readonly messages = new Map<string, GraphMessage>();
  readonly requests: GraphRequestLog[] = [];
  /** Highest number of requests in flight at once, per mailbox. */
  readonly maxInFlight = new Map<string, number>();
  /** Runs before an authorized request is answered (e.g. to look at the database at that moment). */
  beforeAnswer: ((method: string, path: string) => Promise<void>) | null = null;
  private readonly inFlight = new Map<string, number>();
  private readonly removals: Removal[] = [];
  private readonly faults: { match: (method: string, path: string) => boolean; status: number; retryAfter?: string; code: string }[] = [];
  private seq = 0;
  private server!: http.Server;
  port = 0;

  private constructor(public options: FakeGraphOptions) {
    for (const mailbox of options.mailboxes) {
      const root = this.addFolder(mailbox, { displayName: 'Top of Information Store', parentFolderId: null, wellKnown: 'msgfolderroot' });
      this.addFolder(mailbox, { displayName: 'Inbox', parentFolderId: root.id, wellKnown: 'inbox' });
    }
  }

  static async start(options: FakeGraphOptions): Promise<FakeGraphServer> {
    const fake = new FakeGraphServer(options);
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void fake.handle(req, res);
    fake.server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/v1.0`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  addFolder(mailbox: string, f: { displayName: string; parentFolderId: string | null; wellKnown?: string }): GraphFolder {
    const folder = { id: graphId('AAMkAGZ'), mailbox: mailbox.toLowerCase(), ...f };
    this.folders.set(folder.id, folder);
    return folder;
  }

  folder(mailbox: string, nameOrWellKnown: string): GraphFolder {
    const m = mailbox.toLowerCase();
    const found = [...this.folders.values()].find((f) => f.mailbox === m && (f.wellKnown === nameOrWellKnown.toLowerCase() || f.displayName === nameOrWellKnown));
    if (!found) throw new Error(`no folder ${nameOrWellKnown}`);
    return found;
  }

  /** Delivers a message to a mailbox's Inbox (or another folder); returns its immutable id. */
  deliver(mailbox: string, raw: string | Buffer, opts: { isRead?: boolean; folder?: string } = {}): string {
    const msg: GraphMessage = {
      immutableId: graphId('AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A'), restId: graphId('AAMkAGI2TG93AAA='), mailbox: mailbox.toLowerCase(),
      folderId: this.folder(mailbox, opts.folder ?? 'inbox').id, mime: Buffer.from(raw), isRead: opts.isRead ?? false,
      receivedDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), addedSeq: ++this.seq, changedSeq: 0,
    };
    this.messages.set(msg.immutableId, msg);
    return msg.immutableId;
  }

  /** A person reading the message in Outlook. */
  markRead(immutableId: string, isRead = true): void {
    const msg = this.messages.get(immutableId)!;
    msg.isRead = isRead;
    msg.changedSeq = ++this.seq;
  }

  messagesIn(mailbox: string, folder: string): GraphMessage[] {
    const id = this.folder(mailbox, folder).id;
    return [...this.messages.values()].filter((m) => m.folderId === id).sort((a, b) => a.addedSeq - b.addedSeq);
  }

  /** The next request matching answers `status` (429 / 503) with Retry-After. */
  failNext(match: { method?: string; path: RegExp }, fault: { status: number; retryAfter?: string; code?: string }): void {
    this.faults.push({
      match: (method, path) => (!match.method || match.method === method) && match.path.test(path),
      status: fault.status, retryAfter: fault.retryAfter, code: fault.code ?? (fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable'),
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const path = decodeURIComponent(url.pathname);
    const log: GraphRequestLog = { method: req.method ?? 'GET', path: `${path}${url.search}`, at: Date.now(), status: 0, authorization: req.headers.authorization ?? null, prefer: headerText(req.headers.prefer) };
    this.requests.push(log);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      if (Buffer.isBuffer(payload)) {
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        return void res.end(payload);
      }
      res.writeHead(status, { 'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8', 'request-id': randomUUID(), ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      send(status, { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } }, headers);

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.options.tokens.includes(token)) {
      return error(401, 'InvalidAuthenticationToken', token ? 'Access token validation failure. Invalid audience.' : 'Access token is empty.', {
        'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      });
    }
    const m = /^\/v1\.0\/users\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return error(400, 'BadRequest', 'Resource not found for the segment.');
    const mailbox = m[1]!.toLowerCase();
    const rest = m[2] ?? '';
    if (!this.options.mailboxes.some((x) => x.toLowerCase() === mailbox)) return error(404, 'ErrorInvalidUser', `The requested user '${m[1]}' is invalid.`);
    if (this.options.forbidden?.some((x) => x.toLowerCase() === mailbox)) return error(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    if (this.options.restDisabled?.some((x) => x.toLowerCase() === mailbox)) return error(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');

    const inFlight = (this.inFlight.get(mailbox) ?? 0) + 1;
    this.inFlight.set(mailbox, inFlight);
    this.maxInFlight.set(mailbox, Math.max(this.maxInFlight.get(mailbox) ?? 0, inFlight));
    try {
      if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
      try {
        await this.beforeAnswer?.(log.method, rest);
      } catch {
        // A test's hook failing fails this request, not the whole run as an unhandled rejection.
        return error(500, 'TestHookFailed', 'The test hook failed.');
      }
      if (inFlight > (this.options.maxConcurrentPerMailbox ?? 4)) {
        return error(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': '1' });
      }
      const faultIndex = this.faults.findIndex((f) => f.match(log.method, rest));
      if (faultIndex >= 0) {
        const fault = this.faults.splice(faultIndex, 1)[0]!;
        return error(fault.status, fault.code, fault.status === 429 ? 'Please retry again later.' : 'The service is temporarily unavailable.', fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      }
      const immutable = /IdType="ImmutableId"/i.test(log.prefer ?? '');
      this.route(log.method, rest, url, body, mailbox, immutable, headerText(req.headers.prefer), send, error);
    } finally {
      this.inFlight.set(mailbox, (this.inFlight.get(mailbox) ?? 1) - 1);
    }
  }

  private route(
    method: string, rest: string, url: URL, body: string, mailbox: string, immutable: boolean, prefer: string | null,
    send: (status: number, payload: unknown, headers?: Record<string, string>) => void,
    error: (status: number, code: string, message: string) => void,
  ): void {
    let m: RegExpExecArray | null;
    const idOf = (msg: GraphMessage) => (immutable ? msg.immutableId : msg.restId);
    const findMessage = (id: string) => [...this.messages.values()].find((x) => x.mailbox === mailbox && (x.immutableId === id || x.restId === id));
    const folderRef = (ref: string) => [...this.folders.values()].find((f) => f.mailbox === mailbox && (f.id === ref || f.wellKnown === ref.toLowerCase()));
    const notFound = () => error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

    if (method === 'GET' && (m = /^\/mailFolders(?:\('([^']+)'\)|\/([^/]+))\/messages\/delta$/.exec(rest))) {
      const folder = folderRef(m[1] ?? m[2]!);
      if (!folder) return notFound();
      return this.delta(folder, url, mailbox, prefer, idOf, send, error);
    }
    if (method === 'GET' && (m = /^\/mailFolders(?:\('([^']+)'\)|\/([^/]+))$/.exec(rest))) {
      const folder = folderRef(m[1] ?? m[2]!);
      return folder ? send(200, this.folderJson(folder)) : notFound();
    }
    if (method === 'GET' && (rest === '/mailFolders' || (m = /^\/mailFolders(?:\('([^']+)'\)|\/([^/]+))\/childFolders$/.exec(rest)))) {
      const parent = rest === '/mailFolders' ? folderRef('msgfolderroot') : folderRef(m![1] ?? m![2]!);
      if (!parent) return notFound();
      const wanted = /^displayName eq '((?:[^']|'')*)'$/.exec(url.searchParams.get('$filter') ?? '')?.[1]?.replace(/''/g, "'");
      const found = [...this.folders.values()].filter((f) => f.parentFolderId === parent.id && (wanted === undefined || f.displayName === wanted));
      return send(200, { '@odata.context': `${this.baseUrl}/$metadata#users('${mailbox}')/mailFolders`, value: found.map((f) => this.folderJson(f)) });
    }
    if (method === 'GET' && (m = /^\/messages\/([^/]+)\/\$value$/.exec(rest))) {
      const msg = findMessage(m[1]!);
      return msg ? send(200, msg.mime) : notFound();
    }
    if (method === 'PATCH' && (m = /^\/messages\/([^/]+)$/.exec(rest))) {
      const msg = findMessage(m[1]!);
      if (!msg) return notFound();
      const patch = JSON.parse(body || '{}') as { isRead?: boolean };
      if (typeof patch.isRead === 'boolean' && patch.isRead !== msg.isRead) this.markRead(msg.immutableId, patch.isRead);
      return send(200, this.messageJson(msg, idOf, null));
    }
    if (method === 'POST' && (m = /^\/messages\/([^/]+)\/move$/.exec(rest))) {
      const msg = findMessage(m[1]!);
      if (!msg) return notFound();
      const target = folderRef((JSON.parse(body || '{}') as { destinationId?: string }).destinationId ?? '');
      if (!target) return error(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
      this.removals.push({ immutableId: msg.immutableId, restId: msg.restId, folderId: msg.folderId, addedSeq: msg.addedSeq, seq: ++this.seq });
      // The REST id changes with the folder; the immutable id stays.
      Object.assign(msg, { folderId: target.id, restId: graphId('AAMkAGI2TG93AAA='), addedSeq: ++this.seq, changedSeq: 0 });
      return send(201, this.messageJson(msg, idOf, null));
    }
    return error(400, 'BadRequest', 'Unsupported request.');
  }

  private delta(
    folder: GraphFolder, url: URL, mailbox: string, prefer: string | null, idOf: (m: GraphMessage) => string,
    send: (status: number, payload: unknown, headers?: Record<string, string>) => void,
    error: (status: number, code: string, message: string) => void,
  ): void {
    const token = url.searchParams.get('$skiptoken') ?? url.searchParams.get('$deltatoken');
    const preferredSize = Number(/odata\.maxpagesize=(\d+)/i.exec(prefer ?? '')?.[1]);
    let state: DeltaState;
    if (token) {
      try {
        state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DeltaState;
      } catch {
        return error(410, 'SyncStateNotFound', 'The sync state generation is not found.');
      }
      if (state.folderId !== folder.id) return error(410, 'SyncStateNotFound', 'The sync state generation is not found.');
      if (url.searchParams.has('$deltatoken')) state = { ...state, since: state.upTo, upTo: this.seq, after: state.upTo };
    } else {
      const select = url.searchParams.get('$select');
      state = { folderId: folder.id, since: 0, upTo: this.seq, after: 0, select: select ? select.split(',') : null, changeType: url.searchParams.get('changeType'), pageSize: DEFAULT_PAGE_SIZE };
    }
    if (Number.isFinite(preferredSize) && preferredSize > 0) state.pageSize = preferredSize;
    state.pageSize = Math.min(state.pageSize, this.options.pageSizeCap ?? Infinity);

    const events: { seq: number; json: Record<string, unknown> }[] = [];
    const inRange = (seq: number) => seq > state.after && seq <= state.upTo;
    const wants = (type: string) => !state.changeType || state.changeType === type;
    for (const msg of this.messages.values()) {
      if (msg.folderId !== folder.id) continue;
      if (msg.addedSeq > state.since) {
        if (wants('created') && inRange(msg.addedSeq)) events.push({ seq: msg.addedSeq, json: this.messageJson(msg, idOf, state.select) });
      } else if (wants('updated') && inRange(msg.changedSeq)) {
        events.push({ seq: msg.changedSeq, json: this.messageJson(msg, idOf, state.select) });
      }
    }
    if (wants('deleted')) {
      for (const r of this.removals) {
        if (r.folderId === folder.id && r.addedSeq <= state.since && inRange(r.seq)) {
          events.push({ seq: r.seq, json: { '@odata.type': '#microsoft.graph.message', id: idOf({ immutableId: r.immutableId, restId: r.restId } as GraphMessage), '@removed': { reason: 'deleted' } } });
        }
      }
    }
    events.sort((a, b) => a.seq - b.seq);
    const page = events.slice(0, state.pageSize);
    const base = `${this.baseUrl}/users/${encodeURIComponent(mailbox)}/mailFolders('${folder.wellKnown === 'inbox' ? 'Inbox' : folder.id}')/messages/delta`;
    const payload: Record<string, unknown> = { '@odata.context': `${this.baseUrl}/$metadata#Collection(message)` };
    if (events.length > page.length) {
      const next: DeltaState = { ...state, after: page[page.length - 1]!.seq };
      payload['@odata.nextLink'] = `${base}?$skiptoken=${Buffer.from(JSON.stringify(next)).toString('base64url')}`;
    } else {
      payload['@odata.deltaLink'] = `${base}?$deltatoken=${Buffer.from(JSON.stringify({ ...state, after: state.upTo })).toString('base64url')}`;
    }
    payload.value = page.map((e) => e.json);
    send(200, payload, Number.isFinite(preferredSize) && preferredSize > 0 ? { 'preference-applied': `odata.maxpagesize=${preferredSize}` } : {});
  }

  private folderJson(f: GraphFolder): Record<string, unknown> {
    const inFolder = [...this.messages.values()].filter((m) => m.folderId === f.id);
    return {
      id: f.id, displayName: f.displayName, parentFolderId: f.parentFolderId,
      childFolderCount: [...this.folders.values()].filter((c) => c.parentFolderId === f.id).length,
      unreadItemCount: inFolder.filter((m) => !m.isRead).length, totalItemCount: inFolder.length, isHidden: false,
    };
  }

  private messageJson(msg: GraphMessage, idOf: (m: GraphMessage) => string, select: string[] | null): Record<string, unknown> {
    const all: Record<string, unknown> = { id: idOf(msg), receivedDateTime: msg.receivedDateTime, isRead: msg.isRead, parentFolderId: msg.folderId };
    const picked = select ? Object.fromEntries(Object.entries(all).filter(([k]) => k === 'id' || select.includes(k))) : all;
    return { '@odata.type': '#microsoft.graph.message', '@odata.etag': `W/"CQAAABYAAAA${randomBytes(6).toString('base64')}"`, ...picked };
  }
}

function graphId(prefix: string): string {
  return prefix + randomBytes(40).toString('base64url');
}

function headerText(h: string | string[] | undefined): string | null {
  return Array.isArray(h) ? h.join(', ') : (h ?? null);
}
