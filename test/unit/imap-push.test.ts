import { describe, expect, it } from 'vitest';
import { IdlePush, MISSES_TO_DISTRUST, pushesByName } from '../../server/src/mail/imap/imap-push.ts';
import { checkIntervalMs } from '../../server/src/mail/check-interval.ts';
import { createLogger } from '../../server/src/lib/logger.ts';

const log = createLogger('silent');

describe('IdlePush: whether a mailbox\'s IDLE can be relied on', () => {
  it('trusts servers known to push by the name they give in ID, whatever its case or spacing, and nothing else', () => {
    expect(['Dovecot', ' dovecot ', 'GImap'].map(pushesByName)).toEqual([true, true, true]);
    expect(['Courier-IMAP', 'Cyrus IMAPD', 'GNU Mailutils', '', 'Dovecot (Ubuntu)', null, undefined, 42, { name: 'Dovecot' }].map(pushesByName)).toEqual(Array(9).fill(false));
  });

  it('judges each session by the name its server gives: trusted, no change reported again, and not trusted once the mailbox moved to a server that does not say so', () => {
    const push = new IdlePush(null, log);
    expect(push.identified('Courier-IMAP')).toBeUndefined();
    expect(push.pushes).toBeNull();
    expect(push.identified('Dovecot')).toBe(true);
    expect(push.identified('Dovecot')).toBeUndefined();
    expect(push.pushes).toBe(true);
    expect(push.identified('Courier-IMAP')).toBeNull();
    expect(push.pushes).toBeNull();
  });

  it(`loses trust after ${MISSES_TO_DISTRUST} quiet checks in a row found mail, and a name never gives it back`, () => {
    const push = new IdlePush(true, log);
    expect(push.missed()).toBeUndefined();
    push.announced(); // a push in between: the miss was a race with it
    expect(push.missed()).toBeUndefined();
    expect(push.pushes).toBe(true);
    expect(push.missed()).toBe(false);
    expect(push.pushes).toBe(false);
    expect(push.identified('Dovecot')).toBeUndefined();
    expect(new IdlePush(false, log).identified('Dovecot')).toBeUndefined();
  });

  it('misses on a server nothing is known of change nothing (it is checked every 15 s already)', () => {
    const push = new IdlePush(null, log);
    for (let i = 0; i < 5; i++) expect(push.missed()).toBeUndefined();
    expect(push.pushes).toBeNull();
  });
});

describe('checkIntervalMs', () => {
  const imap = { protocol: 'IMAP' as const, realTimeScanning: true, pollIntervalSeconds: 120 };
  it('checks a real-time mailbox every 15 s, a pushing IMAP one at its poll interval, a polled one at its interval', () => {
    expect([null, false, true].map((p) => checkIntervalMs(imap, p))).toEqual([15_000, 15_000, 120_000]);
    expect(checkIntervalMs({ ...imap, pollIntervalSeconds: 10 }, true)).toBe(10_000);
    expect(checkIntervalMs({ ...imap, realTimeScanning: false }, true)).toBe(120_000);
    expect(checkIntervalMs({ ...imap, protocol: 'GRAPH' }, true)).toBe(15_000);
    expect(checkIntervalMs({ ...imap, protocol: 'POP3' }, true)).toBe(120_000);
  });
});
