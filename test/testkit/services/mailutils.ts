// Throw-away GNU Mailutils 3.15 imap4d + pop3d from Debian's packages, unpacked and run in a
// private mount namespace on loopback ports. Needs root.
//
// The quirks Mailroom must survive are its defaults: `UID SEARCH UID n:*` returns nothing while
// `UID SEARCH ALL` works, IDLE never announces new mail, and pop3d answers `-ERR [IN-USE]` while
// another session holds the mailbox. Users are virtual (`virtdomain`: a passwd-format file per
// domain with SHA-512 crypt hashes; the login is user@domain); each INBOX is an mbox file in the
// user's directory, appended to under a dot-lock as a local delivery agent does.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { debianInstance } from './debian-packages.ts';
import { testUserName, type TestMailServer } from './mail-servers.ts';
import { instanceLifecycle, namespaceDaemons } from './namespace.ts';
import { freePorts, run, sleep } from './util.ts';

export const MAILUTILS_PACKAGES = [
  'mailutils-imap4d', 'mailutils-pop3d', 'mailutils-common', 'libmailutils9', 'libmu-dbm9',
  'libgsasl18', 'libmariadb3', 'libkyotocabinet16v5', 'libntlm0', 'libgssglue1', 'liblzo2-2', 'libidn12', 'libltdl7',
];

/** Mailutils' virtual users sign in as user@domain. */
export const MAILUTILS_DOMAIN = 'example.test';

export interface Mailutils extends TestMailServer {
  readonly name: 'Mailutils';
}

export async function startMailutils(): Promise<Mailutils> {
  const { root, dir, nobody } = await debianInstance('mailutils', MAILUTILS_PACKAGES);
  const passwdDir = path.join(dir, 'passwd');
  const homes = path.join(dir, 'mail');
  await fs.mkdir(passwdDir, { mode: 0o755 });
  await fs.mkdir(homes, { mode: 0o755 });
  const [imapPort, pop3Port] = (await freePorts(2)) as [number, number];
  const config = (port: number) => [
    'mode daemon;',
    'foreground yes;',
    'logging { syslog no; severity info; };',
    'auth { authorization virtdomain; authentication generic; };',
    `virtdomain { passwd-dir ${passwdDir}; };`,
    `server 127.0.0.1:${port} { };`,
    '',
  ].join('\n');
  await fs.writeFile(path.join(dir, 'imap4d.conf'), config(imapPort));
  await fs.writeFile(path.join(dir, 'pop3d.conf'), config(pop3Port));

  const daemons = namespaceDaemons({
    dir,
    root,
    ports: [imapPort, pop3Port],
    setup: [],
    daemons: [
      { name: 'imap4d', command: `exec /usr/sbin/imap4d --config-file=${path.join(dir, 'imap4d.conf')}` },
      { name: 'pop3d', command: `exec /usr/sbin/pop3d --config-file=${path.join(dir, 'pop3d.conf')}` },
    ],
  }, `mailutils-${path.basename(dir)}`);

  const home = (user: string) => path.join(homes, testUserName('Mailutils', user));
  const inbox = (user: string) => path.join(home(user), 'INBOX');
  const users = new Map<string, string>();
  const writePasswd = async () => {
    const lines = [...users].map(([user, hash]) => `${user}:${hash}:${nobody.uid}:${nobody.gid}::${home(user)}:/bin/false`);
    await fs.writeFile(path.join(passwdDir, MAILUTILS_DOMAIN), `${lines.join('\n')}\n`, { mode: 0o644 });
  };
  const createInbox = async (user: string) => {
    await fs.mkdir(home(user), { recursive: true, mode: 0o700 });
    await fs.writeFile(inbox(user), '', { mode: 0o600 });
    await run('chown', ['-R', `${nobody.uid}:${nobody.gid}`, home(user)]);
  };

  const handle: Mailutils = {
    name: 'Mailutils',
    host: '127.0.0.1',
    ports: { imap: imapPort, pop3: pop3Port },
    delimiter: '/',
    quirks: { copyDropsFlags: true },
    login: (user) => `${user}@${MAILUTILS_DOMAIN}`,
    async addUser(user, password) {
      await createInbox(user);
      users.set(user, (await daemons.exec('openssl', ['passwd', '-6', '-stdin'], { input: password })).trim());
      await writePasswd();
    },
    async deliver(user, raw) {
      // Bytes kept as they are (latin1 both ways); "From " at a line start is quoted, as mbox requires.
      const text = (Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8')).toString('latin1').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1');
      const entry = `From sender@example.test ${new Date().toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, '$1 $3 $2 $5 $4')}\n${text.endsWith('\n') ? text : `${text}\n`}\n`;
      // A dot-lock, as Mailutils and every local delivery agent use for mbox files.
      const lock = `${inbox(user)}.lock`;
      for (let i = 0; ; i++) {
        try {
          await (await fs.open(lock, 'wx')).close();
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 200) throw err;
          await sleep(25);
        }
      }
      try {
        await fs.appendFile(inbox(user), entry, 'latin1');
      } finally {
        await fs.rm(lock, { force: true });
      }
    },
    async recreateInbox(user) {
      await fs.rm(inbox(user), { force: true });
      await createInbox(user);
    },
    ...instanceLifecycle(daemons, dir),
  };
  await daemons.start();
  return handle;
}
