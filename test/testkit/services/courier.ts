// Throw-away Courier-IMAP 5.0 + Courier POP3 from Debian's packages, unpacked (not installed:
// they conflict with Dovecot's) and run in a private mount namespace on loopback ports. Needs root.
//
// Auth is Debian's authdaemond with the userdb module (SHA-512 crypt hashes compiled by
// makeuserdb); mail lives in Maildirs in the temp dir, owned by `nobody`, delivered by writing a
// file into tmp/ and renaming it into new/ (as an MTA does). Settings are Debian's defaults with
// the ports and loopback address changed and STARTTLS off; without FAM, IDLE rescans the
// Maildir only every IMAP_IDLE_TIMEOUT (60 s) — the behaviour Mailroom must cope with.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { debianInstance } from './debian-packages.ts';
import { oneAtATime, testUserName, type TestMailServer } from './mail-servers.ts';
import { instanceLifecycle, namespaceDaemons } from './namespace.ts';
import { freePorts, run, waitFor } from './util.ts';

export const COURIER_PACKAGES = [
  'courier-imap', 'courier-pop', 'courier-base', 'courier-authdaemon', 'courier-authlib', 'courier-authlib-userdb',
  'libcourier-unicode4', 'libgamin0', 'libgdbm6', 'libidn12', 'libltdl7', 'libpcre3',
];

export interface Courier extends TestMailServer {
  readonly name: 'Courier';
  /** The user's Maildir (INBOX), as seen from outside the namespace. */
  maildir(user: string): string;
}

const checkUser = (user: string) => testUserName('Courier', user);

export async function startCourier(): Promise<Courier> {
  const { root, dir, nobody } = await debianInstance('courier', COURIER_PACKAGES);
  const conf = path.join(dir, 'conf');
  const homes = path.join(dir, 'mail');
  await fs.mkdir(conf, { mode: 0o755 });
  await fs.mkdir(homes, { mode: 0o755 });
  const [imapPort, pop3Port] = (await freePorts(2)) as [number, number];

  const debianDefaults = async (file: string) => fs.readFile(path.join(root, 'etc', 'courier', file), 'utf8');
  await fs.writeFile(path.join(conf, 'authdaemonrc'), [
    // One auth process: each would notice a recompiled userdb on its own, so a user could sign in
    // on one connection and be refused on the next (see addUser).
    'authmodulelist="authuserdb"', 'daemons=1', 'authdaemonvar=/run/courier/authdaemon', 'DEBUG_LOGIN=0', 'DEFAULTOPTIONS=""', 'LOGGEROPTS=""', '',
  ].join('\n'));
  // Debian's files, then what an admin changes for a loopback test instance.
  await fs.writeFile(path.join(conf, 'imapd'), `${await debianDefaults('imapd')}\nADDRESS=127.0.0.1\nPORT=${imapPort}\nIMAP_STARTTLS=NO\nIMAPDSTARTTLS=NO\nMAXPERIP=100\n`);
  await fs.writeFile(path.join(conf, 'pop3d'), `${await debianDefaults('pop3d')}\nADDRESS=127.0.0.1\nPORT=${pop3Port}\nPOP3_STARTTLS=NO\nPOP3DSTARTTLS=NO\nMAXPERIP=100\n`);
  for (const file of ['imapd-ssl', 'pop3d-ssl']) await fs.writeFile(path.join(conf, file), await debianDefaults(file));
  await fs.writeFile(path.join(conf, 'userdb'), '', { mode: 0o600 });

  const serve = (env: string, login: string, daemon: string) =>
    `exec env -i /bin/sh -c 'set -a; . /etc/courier/${env}; exec /usr/sbin/couriertcpd -address=$ADDRESS -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP $TCPDOPTS $PORT ${login} ${daemon} $MAILDIRPATH'`;
  const daemons = namespaceDaemons({
    dir,
    root,
    ports: [imapPort, pop3Port],
    setup: [
      `mount --bind ${conf} /etc/courier`,
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/courier/authdaemon',
      'makeuserdb',
    ],
    daemons: [
      { name: 'authdaemond', command: 'exec /usr/lib/courier/courier-authlib/authdaemond' },
      { name: 'imapd', command: `while [ ! -S /run/courier/authdaemon/socket ]; do sleep 0.05; done; ${serve('imapd', '/usr/lib/courier/courier/imaplogin', '/usr/bin/imapd')}` },
      { name: 'pop3d', command: serve('pop3d', '/usr/lib/courier/courier/courierpop3login', '/usr/lib/courier/courier/courierpop3d') },
    ],
  }, `courier-${path.basename(dir)}`);

  const home = (user: string) => path.join(homes, checkUser(user));
  const maildir = (user: string) => path.join(home(user), 'Maildir');
  const makeMaildir = async (user: string) => {
    for (const sub of ['cur', 'new', 'tmp']) await fs.mkdir(path.join(maildir(user), sub), { recursive: true, mode: 0o700 });
    await run('chown', ['-R', `${nobody.uid}:${nobody.gid}`, home(user)]);
  };
  let delivered = 0;
  let compiledAt = 0;
  const writeUserdb = oneAtATime(async (user: string, line: string) => {
    const file = path.join(conf, 'userdb');
    const others = (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l && !l.startsWith(`${user}\t`));
    await fs.writeFile(file, `${[...others, line].join('\n')}\n`, { mode: 0o600 });
    await daemons.exec('makeuserdb', []);
    // authdaemond notices a recompiled userdb.dat by its mtime, in whole seconds: a user added
    // within the same second as the last one would stay unknown, so each compile gets a later one.
    const mtime = Math.max(Math.floor(Date.now() / 1000), compiledAt + 1);
    compiledAt = mtime;
    for (const dat of ['userdb.dat', 'userdbshadow.dat']) await fs.utimes(path.join(conf, dat), mtime, mtime);
  });

  const handle: Courier = {
    name: 'Courier',
    host: '127.0.0.1',
    ports: { imap: imapPort, pop3: pop3Port },
    delimiter: '.',
    maildir,
    login: (user) => user,
    async addUser(user, password) {
      await makeMaildir(user);
      const crypt = (await daemons.exec('openssl', ['passwd', '-6', '-stdin'], { input: password })).trim();
      const line = `${user}\tuid=${nobody.uid}|gid=${nobody.gid}|home=${home(user)}|mail=${maildir(user)}|systempw=${crypt}`;
      await writeUserdb(user, line);
      // Known once authdaemond signs the user in.
      let refusal = '';
      await waitFor(`Courier to know ${user}`, () => daemons.exec('authtest', [user, password]).then(() => true, (err: Error) => {
        refusal = err.message;
        return false;
      }), 5000, 100).catch((err: Error) => {
        throw new Error(`${err.message}: ${refusal}`);
      });
    },
    async deliver(user, raw) {
      const name = `${Date.now()}.M${++delivered}P${process.pid}.mailroom-test`;
      const tmp = path.join(maildir(user), 'tmp', name);
      await fs.writeFile(tmp, typeof raw === 'string' ? raw.replace(/\r?\n/g, '\n') : raw, { mode: 0o600 });
      await fs.chown(tmp, nobody.uid, nobody.gid);
      await fs.rename(tmp, path.join(maildir(user), 'new', name));
    },
    async recreateInbox(user) {
      // As an admin restoring a mailbox would: the Maildir goes, a fresh one (new UIDVALIDITY) comes.
      await fs.rm(maildir(user), { recursive: true, force: true });
      await makeMaildir(user);
    },
    ...instanceLifecycle(daemons, dir),
  };
  await daemons.start();
  return handle;
}
