// Throw-away Cyrus IMAP 3.6 (IMAP, POP3, LMTP) from Debian's packages, unpacked (not installed:
// they conflict with Dovecot's) and run in a private mount namespace on loopback ports. Needs root.
//
// Debian's imapd.conf defaults with the paths moved into the temp dir, `/` as the hierarchy
// delimiter (INBOX/Processed), no POP3 poll limit, and no idled (Debian's cyrus.conf has none):
// IDLE then looks for new mail only every 60 s. Users live in a sasldb (saslpasswd2); INBOXes are
// created at first login (autocreate); mail arrives over LMTP; an admin account deletes and
// recreates mailboxes.
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { debianInstance } from './debian-packages.ts';
import { lmtpDeliver } from './lmtp.ts';
import { oneAtATime, testUserName, type TestMailServer } from './mail-servers.ts';
import { instanceLifecycle, namespaceDaemons } from './namespace.ts';
import { freePorts, run } from './util.ts';

export const CYRUS_PACKAGES = ['cyrus-common', 'cyrus-imapd', 'cyrus-pop3d', 'sasl2-bin', 'libxapian30', 'libical3', 'libpcre3'];

const ADMIN = { user: 'cyrusadmin', password: 'cyrus-admin-secret' };
const REALM = 'localhost';

export interface Cyrus extends TestMailServer {
  readonly name: 'Cyrus';
  /** Raw IMAP commands as the admin (untagged lines and the tagged result of each). */
  admin(commands: string[]): Promise<string[]>;
}

const checkUser = (user: string) => testUserName('Cyrus', user);

export async function startCyrus(): Promise<Cyrus> {
  const { root, dir, nobody } = await debianInstance('cyrus', CYRUS_PACKAGES);
  const at = (...parts: string[]) => path.join(dir, ...parts);
  for (const sub of ['conf', 'spool', 'run', 'sock', 'sieve', ...['db', 'proc', 'socket', 'log', 'msg', 'user', 'quota', 'lock'].map((d) => path.join('lib', d))]) {
    await fs.mkdir(at(sub), { recursive: true, mode: 0o750 });
  }
  const [imapPort, pop3Port, lmtpPort] = (await freePorts(3)) as [number, number, number];

  const debian = await fs.readFile(path.join(root, 'etc', 'imapd.conf'), 'utf8');
  const overrides: Record<string, string> = {
    configdirectory: at('lib'),
    proc_path: at('run', 'proc'),
    mboxname_lockpath: at('run', 'lock'),
    'partition-default': at('spool'),
    'partition-news': at('spool'),
    sievedir: at('sieve'),
    lmtpsocket: at('sock', 'lmtp'),
    idlesocket: at('sock', 'idle'),
    notifysocket: at('sock', 'notify'),
    unixhierarchysep: 'yes',
    popminpoll: '0',
    hashimapspool: 'false',
    servername: REALM,
    admins: ADMIN.user,
    cyrus_user: 'nobody',
    sasl_pwcheck_method: 'auxprop',
    sasl_auxprop_plugin: 'sasldb',
    sasl_sasldb_path: at('conf', 'sasldb2'),
    sasl_mech_list: 'PLAIN LOGIN',
    syslog_prefix: `cyrus-${path.basename(dir)}`,
  };
  const kept = debian.split('\n').filter((line) => !Object.keys(overrides).some((k) => line.startsWith(`${k}:`)));
  await fs.writeFile(at('conf', 'imapd.conf'), [...kept, ...Object.entries(overrides).map(([k, v]) => `${k}: ${v}`), ''].join('\n'));
  await fs.writeFile(at('conf', 'cyrus.conf'), [
    'START {',
    '  recover cmd="ctl_cyrusdb -r"',
    '}',
    'SERVICES {',
    `  imap cmd="imapd" listen="127.0.0.1:${imapPort}" prefork=0 maxchild=100`,
    `  pop3 cmd="pop3d" listen="127.0.0.1:${pop3Port}" prefork=0 maxchild=50`,
    // -a: pre-authorised on a TCP socket, as the unix-socket LMTP of a real setup is.
    `  lmtp cmd="lmtpd -a" listen="127.0.0.1:${lmtpPort}" prefork=0 maxchild=20`,
    '}',
    'EVENTS {',
    '  checkpoint cmd="ctl_cyrusdb -c" period=30',
    '}',
    '',
  ].join('\n'));
  await fs.writeFile(at('conf', 'sasldb2'), '');
  await run('chown', ['-R', `${nobody.uid}:${nobody.gid}`, dir]);

  const daemons = namespaceDaemons({
    dir,
    root,
    ports: [imapPort, pop3Port, lmtpPort],
    env: { CYRUS_USER: 'nobody' },
    setup: [
      `mount --bind ${at('conf', 'imapd.conf')} /etc/imapd.conf`,
      `mount --bind ${at('conf', 'cyrus.conf')} /etc/cyrus.conf`,
      'mount -t tmpfs tmpfs /run',
    ],
    daemons: [{ name: 'master', command: `exec /usr/lib/cyrus/bin/master -D -p ${at('run', 'master.pid')}` }],
  }, `cyrus-${path.basename(dir)}`);

  const setPassword = oneAtATime(async (user: string, password: string) => {
    await daemons.exec('saslpasswd2', ['-f', at('conf', 'sasldb2'), '-u', REALM, '-p', '-c', user], { input: password });
    await fs.chown(at('conf', 'sasldb2'), nobody.uid, nobody.gid);
  });

  const admin = (commands: string[]) => imapSession(imapPort, ADMIN.user, ADMIN.password, commands);
  const handle: Cyrus = {
    name: 'Cyrus',
    host: '127.0.0.1',
    ports: { imap: imapPort, pop3: pop3Port },
    delimiter: '/',
    admin,
    login: (user) => user,
    async addUser(user, password) {
      await setPassword(checkUser(user), password);
      await admin([`CREATE "user/${user}"`]);
    },
    async deliver(user, raw) {
      await lmtpDeliver({ host: '127.0.0.1', port: lmtpPort, from: 'sender@example.test', to: [checkUser(user)], raw }).then((r) => {
        const bad = r.recipients.filter((x) => x.code < 200 || x.code > 299);
        if (bad.length) throw new Error(`Cyrus LMTP refused: ${bad.map((b) => `${b.code} ${b.text}`).join('; ')}`);
      });
    },
    async recreateInbox(user) {
      const box = `"user/${checkUser(user)}"`;
      await admin([`SETACL ${box} ${ADMIN.user} lrswipkxtecda`, `DELETE ${box}`, `CREATE ${box}`]);
    },
    ...instanceLifecycle(daemons, dir),
  };
  await daemons.start();
  await setPassword(ADMIN.user, ADMIN.password);
  return handle;
}

/**
 * A plain IMAP session for admin commands that imapflow does not offer (SETACL, DELETE of another
 * user's mailbox): LOGIN, each command in turn (a NO or BAD fails), LOGOUT. Single-line commands only.
 */
async function imapSession(port: number, user: string, password: string, commands: string[]): Promise<string[]> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setEncoding('utf8');
  socket.setTimeout(15_000, () => socket.destroy(new Error('IMAP admin session timed out')));
  let buffer = '';
  const lines: string[] = [];
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const i = buffer.indexOf('\r\n');
      if (i >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        return line;
      }
      const [chunk] = (await once(socket, 'data')) as [string];
      buffer += chunk;
    }
  };
  const command = async (tag: string, text: string) => {
    socket.write(`${tag} ${text}\r\n`);
    for (;;) {
      const line = await nextLine();
      lines.push(line);
      if (line.startsWith(`${tag} `)) {
        if (!line.startsWith(`${tag} OK`)) throw new Error(`IMAP ${text.split(' ')[0]} failed: ${line}`);
        return;
      }
    }
  };
  try {
    await once(socket, 'connect');
    await nextLine();
    // Cyrus advertises LOGINDISABLED without TLS; SASL PLAIN with an initial response is allowed.
    await command('a0', `AUTHENTICATE PLAIN ${Buffer.from(`\u0000${user}\u0000${password}`, 'utf8').toString('base64')}`);
    for (const [i, text] of commands.entries()) await command(`a${i + 1}`, text);
    await command('z', 'LOGOUT').catch(() => undefined);
    return lines;
  } finally {
    socket.destroy();
  }
}
