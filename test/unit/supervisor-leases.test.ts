import { describe, expect, it } from 'vitest';
import type { IncomingServerRow } from '../../server/src/db/schema.ts';
import type { Logger } from '../../server/src/lib/logger.ts';
import type { LeaseManager } from '../../server/src/mail/leases.ts';
import { Supervisor } from '../../server/src/mail/supervisor.ts';
import { waitFor } from '../testkit/services/util.ts';

/** Every warning, by message; the rest of the logger does nothing. */
function recordingLogger(warnings: string[]): Logger {
  const logger = {
    warn: (_obj: unknown, msg?: string) => void warnings.push(String(msg ?? _obj)),
    info() {}, debug() {}, error() {}, trace() {}, fatal() {},
    child: () => logger,
  };
  return logger as unknown as Logger;
}

/** A POP3 mailbox nobody answers for (port 1): its connector runs, fails to connect and backs off. */
function mailbox(id: string): IncomingServerRow {
  return {
    id, name: id, email: `${id}@example.test`, protocol: 'POP3', provider: null, host: '127.0.0.1', port: 1, security: 'NONE', authType: 'BASIC',
    username: id, passwordSealed: null, oauth: null, oauthSecretsSealed: null, enabled: true, primary: false, realTimeScanning: false,
    allowSelfSignedCertificate: false, pollIntervalSeconds: 120, technicianGroupId: null, categoryId: null, companyId: null, proxyServerId: null,
    outgoingServerId: null, pop3DeleteAfterSave: true, afterProcessing: 'MARK_READ', moveToFolder: null, ewsUrl: null, needsReconfiguration: false,
    oauthClientSecretExpiresAt: null, filterType: 'NONE', filterEmails: [], filterDomains: [], filterKeywords: [], credentialsVersion: 1,
    createdAt: new Date(), updatedAt: new Date(),
  } as unknown as IncomingServerRow;
}

/** Leases whose renewals wait until the test answers them; acquiring always succeeds unless told otherwise. */
class ScriptedLeases {
  acquired: string[] = [];
  grant = true;
  renewals: { ids: string[]; answer(held: string[]): void }[] = [];
  acquire(id: string) {
    this.acquired.push(id);
    return Promise.resolve(this.grant);
  }
  acquireMany(ids: string[]) {
    return Promise.resolve(new Set(ids));
  }
  renew(ids: string[]) {
    return new Promise<Set<string>>((resolve) => this.renewals.push({ ids, answer: (held) => resolve(new Set(held)) }));
  }
  release() {
    return Promise.resolve();
  }
}

function supervisor(rows: Map<string, IncomingServerRow>, leases: ScriptedLeases, warnings: string[]) {
  const sup = new Supervisor(
    { list: () => Promise.resolve([...rows.values()]), get: (id: string) => Promise.resolve(rows.get(id)), credentials: () => ({ password: 'x' }), storeOAuthSecrets: () => Promise.resolve() } as never,
    {
      ingest: { keepParserWarm() {} }, checkpoints: {}, logger: recordingLogger(warnings), allowLoopback: true,
      health: { report: () => Promise.resolve(), get: () => Promise.resolve({}), forget() {} },
      proxies: { config: () => Promise.resolve(null) }, tokens: { accessToken: () => Promise.reject(new Error('no tokens here')) },
    } as never,
    leases as unknown as LeaseManager,
  );
  sup.setLeaseRenewInterval(20);
  return sup;
}

describe('Supervisor: mailbox leases', () => {
  it('does not take a mailbox that started while a renewal was on its way for lost, and restarts one whose lease really went', async () => {
    const rows = new Map([['a', mailbox('a')]]);
    const leases = new ScriptedLeases();
    const warnings: string[] = [];
    const sup = supervisor(rows, leases, warnings);
    await sup.start();
    try {
      await waitFor('a renewal', () => leases.renewals.length >= 1, 2_000);
      expect(leases.renewals[0]!.ids).toEqual(['a']);
      // A mailbox added while the renewal is out takes its own lease and starts.
      rows.set('b', mailbox('b'));
      sup.serverChanged('b');
      await waitFor('b started', () => sup.size === 2, 5_000);
      leases.renewals[0]!.answer(['a']);
      await new Promise((r) => setTimeout(r, 100));
      expect(warnings.filter((w) => w.includes('lost the mailbox lease'))).toEqual([]);
      expect(leases.acquired).toEqual(['b']);

      // Now b's lease is gone (another process took it): b stops and waits for it.
      leases.grant = false;
      const pending = leases.renewals.slice(1);
      expect(pending.some((r) => r.ids.includes('b'))).toBe(true);
      for (const r of pending) r.answer(r.ids.filter((id) => id !== 'b'));
      await waitFor('b given up', () => sup.size === 1, 5_000);
      expect(warnings.filter((w) => w.includes('lost the mailbox lease')).length).toBeGreaterThan(0);
      expect(leases.acquired.length).toBeGreaterThan(1);
      expect(new Set(leases.acquired)).toEqual(new Set(['b']));
    } finally {
      for (const r of leases.renewals) r.answer(r.ids);
      await sup.stop();
    }
  });
});
