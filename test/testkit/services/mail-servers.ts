// What the server-parameterised suites need from a mail server, whichever it is: Dovecot (the
// shared instance), or Courier / Cyrus started from their Debian packages (courier.ts, cyrus.ts).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Dovecot } from './dovecot.ts';

export interface TestMailServer {
  readonly name: 'Dovecot' | 'Courier' | 'Cyrus' | 'Mailutils';
  readonly host: '127.0.0.1';
  readonly ports: { imap: number; pop3: number };
  /** The IMAP hierarchy delimiter the server uses ("." → INBOX.Processed, "/" → INBOX/Processed). */
  readonly delimiter: string;
  /** Behaviour a scenario must allow for. `copyDropsFlags`: COPY (its MOVE without the extension) leaves \Seen behind. */
  readonly quirks?: { copyDropsFlags?: boolean };
  /** A user (lower-case letters, digits, "-", "_", "."), also the delivery address's local part. */
  addUser(user: string, password: string): Promise<void>;
  /** What the user signs in with (the user itself, or user@domain for virtual users). */
  login(user: string): string;
  deliver(user: string, raw: string | Buffer): Promise<void>;
  /** Deletes the user's INBOX and creates it again, as an admin restoring a mailbox would: a new UIDVALIDITY. */
  recreateInbox(user: string): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
  logs(): Promise<string>;
}

/** A login name every server takes verbatim, and that is safe in a path and in a mailbox name. */
export function testUserName(server: string, user: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(user)) throw new Error(`unsupported test user name for ${server}: ${JSON.stringify(user)}`);
  return user;
}

/** Wraps `work` so calls run one after another (user databases rewritten per user lose concurrent adds). */
export function oneAtATime<A extends unknown[]>(work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let chain: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const done = chain.then(() => work(...args));
    chain = done.catch(() => undefined);
    return done;
  };
}

/** The shared Dovecot seen through the same interface (stop/start/dispose are refused: others use it). */
export function dovecotAsTestServer(dovecot: Dovecot): TestMailServer {
  const shared = () => Promise.reject(new Error('the shared Dovecot is never stopped by a test file: start a private one'));
  return {
    name: 'Dovecot',
    host: '127.0.0.1',
    ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3 },
    delimiter: '/',
    addUser: (user, password) => dovecot.addUser(user, password),
    login: (user) => user,
    deliver: async (user, raw) => {
      await dovecot.deliver(user, raw);
    },
    // Dovecot creates a missing Maildir at the next access, with a new UIDVALIDITY.
    recreateInbox: (user) => fs.rm(path.join(dovecot.tmpDir, 'mail', user.toLowerCase()), { recursive: true, force: true }),
    stop: shared,
    start: shared,
    dispose: async () => {},
    logs: async () => '',
  };
}
