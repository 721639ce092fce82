// A small IMAP proxy in front of a real server (Dovecot) that injects the faults no packaged
// server shows reliably: a UID range search that finds nothing (GNU Mailutils), a server that
// hides its messages from SEARCH and FETCH, an IDLE that never pushes, a partial FETCH cut short,
// a refused command, and an answer held back until the test releases it (to stop a connector at an exact point).
//
// It frames both directions into IMAP units (a line plus its literals), so a rule never cuts a
// FETCH literal in half; everything not touched by a rule passes through byte for byte. Plain
// text only (no STARTTLS): point the mailbox at it with security "None".
import net from 'node:net';

export interface ImapFaults {
  /** A UID range lookup finds nothing (SEARCH ALL still works), as GNU Mailutils 3.15's `UID SEARCH UID n:*` does: `UID SEARCH UID n:*` answers an empty `* SEARCH` and `UID FETCH n:*` no message. */
  emptyUidRange?: boolean;
  /** Every SEARCH answers nothing and every FETCH returns no message: the counts announce mail nobody can list. */
  hideMessages?: boolean;
  /** No UIDNEXT anywhere: SELECT omits `[UIDNEXT]` (as Courier does) and STATUS leaves it out too. */
  hideUidNext?: boolean;
  /** While a client is in IDLE, untagged EXISTS / RECENT / EXPUNGE / FETCH are dropped: an IDLE that never pushes. */
  silentIdle?: boolean;
  /** ID answers `* ID NIL`: a server that does not say who it is (so nothing is known of its IDLE). */
  anonymous?: boolean;
  /** A partial FETCH (`BODY.PEEK[]<0.n>`) gets at most this many bytes: a server that cuts it short of what was asked. */
  shortPartials?: number;
  /** Commands matching this (the line after the tag) are answered `NO [SERVERBUG]` without reaching the server. */
  refuse?: RegExp | null;
  /** After a command matching this, the server's answers wait until `release()`. */
  hold?: RegExp | null;
}

export interface ImapFaultProxy {
  readonly port: number;
  /** Live: changes apply to the next command of every connection. */
  readonly faults: ImapFaults;
  /** Commands the clients sent (tag stripped), oldest first. */
  readonly commands: string[];
  /** Resolves when a command matching `faults.hold` is being held. */
  whenHeld(): Promise<string>;
  /** Lets held answers through. */
  release(): void;
  close(): Promise<void>;
}

const CRLF = Buffer.from('\r\n');

/** Server → client: whole units (a line with its `{n}` literals and what follows them), so a rule can drop or rewrite one. */
class UnitReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const units: Buffer[] = [];
    let start = 0;
    let scan = 0;
    for (;;) {
      const eol = this.buffer.indexOf(CRLF, scan);
      if (eol < 0) break;
      const literal = /\{(\d+)\}$/.exec(this.buffer.subarray(scan, eol).toString('latin1'));
      if (literal) {
        const next = eol + 2 + Number(literal[1]);
        if (next > this.buffer.length) break;
        scan = next;
        continue;
      }
      units.push(this.buffer.subarray(start, eol + 2));
      start = scan = eol + 2;
    }
    this.buffer = this.buffer.subarray(start);
    return units;
  }
}

/**
 * Client → server: line by line, literal bytes passed on as they come. A client sends the data
 * of a synchronising literal only after the server's "+", so nothing may wait for a whole command.
 */
class CommandReader {
  private buffer = Buffer.alloc(0);
  private literalLeft = 0;
  private continuing = false;

  constructor(private readonly onCommand: (line: string, raw: Buffer) => void, private readonly forward: (raw: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, this.buffer.length);
        if (!take) return;
        this.forward(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.literalLeft -= take;
        continue;
      }
      const eol = this.buffer.indexOf(CRLF);
      if (eol < 0) return;
      const raw = this.buffer.subarray(0, eol + 2);
      this.buffer = this.buffer.subarray(eol + 2);
      const line = raw.subarray(0, eol).toString('latin1');
      if (this.continuing) this.forward(raw);
      else this.onCommand(line, raw);
      const literal = /\{(\d+)\+?\}$/.exec(line);
      this.literalLeft = literal ? Number(literal[1]) : 0;
      this.continuing = Boolean(literal);
    }
  }
}

export async function startImapFaultProxy(upstream: { host: string; port: number }, initial: ImapFaults = {}): Promise<ImapFaultProxy> {
  const faults: ImapFaults = { ...initial };
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  let holdWaiters: ((command: string) => void)[] = [];
  let heldCommand: string | null = null;
  let releasers: (() => void)[] = [];

  const server = net.createServer((client) => {
    const remote = net.connect(upstream);
    sockets.add(client);
    sockets.add(remote);
    const inFlight = new Map<string, string>();
    let idling = false;
    let holding = false;
    const held: Buffer[] = [];
    const end = () => {
      client.destroy();
      remote.destroy();
      sockets.delete(client);
      sockets.delete(remote);
    };
    client.on('error', end);
    remote.on('error', end);
    client.on('close', end);
    remote.on('close', end);

    const fromClient = new CommandReader((line, raw) => {
      const match = /^(\S+) (.*)$/s.exec(line);
      if (line.toUpperCase() === 'DONE' || !match) {
        remote.write(raw);
        return;
      }
      const [, tag, command] = match as unknown as [string, string, string];
      commands.push(command);
      if (faults.refuse?.test(command)) {
        client.write(`${tag} NO [SERVERBUG] Refused by the test proxy\r\n`);
        return;
      }
      inFlight.set(tag, command);
      if (/^IDLE$/i.test(command)) idling = true;
      if (faults.hold?.test(command)) {
        holding = true;
        heldCommand = command;
        releasers.push(() => {
          holding = false;
          for (const b of held.splice(0)) client.write(b);
        });
        for (const w of holdWaiters.splice(0)) w(command);
      }
      const cut = faults.shortPartials;
      remote.write(cut === undefined ? raw : Buffer.from(raw.toString('latin1').replace(/(\[\]<0\.)(\d+)>/g, (_, head: string, n: string) => `${head}${Math.min(Number(n), cut)}>`), 'latin1'));
    }, (raw) => remote.write(raw));
    const fromServer = new UnitReader();
    client.on('data', (chunk: Buffer) => fromClient.push(chunk));

    // Server → client: whole units, so a rule can drop or rewrite one.
    remote.on('data', (chunk: Buffer) => {
      for (const unit of fromServer.push(chunk)) {
        const out = rewrite(unit);
        if (!out) continue;
        if (holding) held.push(out);
        else client.write(out);
      }
    });

    const rewrite = (unit: Buffer): Buffer | null => {
      const head = unit.subarray(0, Math.min(unit.length, 200)).toString('latin1');
      const tagged = /^(\S+) (OK|NO|BAD)\b/i.exec(head);
      if (tagged && tagged[1] !== '*' && tagged[1] !== '+') {
        const command = inFlight.get(tagged[1]!) ?? '';
        inFlight.delete(tagged[1]!);
        if (/^IDLE$/i.test(command)) idling = false;
        return unit;
      }
      if (!head.startsWith('* ')) return unit;
      if (faults.anonymous && /^\* ID\b/i.test(head)) return Buffer.from('* ID NIL\r\n');
      if (faults.hideUidNext && /^\* OK \[UIDNEXT \d+\]/i.test(head)) return null;
      if (faults.hideUidNext && /^\* STATUS /i.test(head)) return Buffer.from(unit.toString('latin1').replace(/ ?\bUIDNEXT \d+/i, '').replace('( ', '('), 'latin1');
      const current = [...inFlight.values()].pop() ?? '';
      if (/^\* (SEARCH|ESEARCH)\b/i.test(head)) {
        const uidRange = /^UID SEARCH\b.*\bUID \d+:\*/i.test(current);
        if (faults.hideMessages || (faults.emptyUidRange && uidRange)) {
          const esearch = /^(\* ESEARCH(?: \(TAG "[^"]*"\))?(?: UID)?)/i.exec(head);
          return Buffer.from(`${esearch ? esearch[1] : '* SEARCH'}\r\n`);
        }
      }
      if (/^\* \d+ FETCH\b/i.test(head)) {
        if (faults.hideMessages && /FETCH/i.test(current)) return null;
        if (faults.emptyUidRange && /^UID FETCH \d+:\*/i.test(current)) return null;
        if (faults.silentIdle && idling) return null;
      }
      if (faults.silentIdle && idling && /^\* \d+ (EXISTS|RECENT|EXPUNGE)\b/i.test(head)) return null;
      return unit;
    };
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    faults,
    commands,
    whenHeld() {
      if (heldCommand !== null) return Promise.resolve(heldCommand);
      return new Promise((resolve) => holdWaiters.push(resolve));
    },
    release() {
      faults.hold = null;
      heldCommand = null;
      for (const r of releasers.splice(0)) r();
    },
    async close() {
      for (const s of sockets) s.destroy();
      holdWaiters = [];
      releasers = [];
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
