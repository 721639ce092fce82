// A mail far over the size limit must not be pulled into memory: the server (its own process, as
// `pnpm start` runs it) reads RFC822.SIZE and fetches only the message's beginning, so its RSS,
// read from /proc while the mail arrives, barely moves; the mail is quarantined and the next
// one becomes a ticket.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { graphql } from '../testkit/app.ts';
import { useSpawnedMailbox } from '../testkit/spawned-mailbox.ts';
import { getDovecot } from '../testkit/env.ts';
import { mail } from '../testkit/mail.ts';
import { waitFor } from '../testkit/services/util.ts';

const Quarantine = graphql(`query OversizeMemoryQuarantine($serverId: ID) { quarantinedMessages(serverId: $serverId) { reason size } }`);
const AuditLog = graphql(`query OversizeMemoryAudit($id: ID!) { emailAuditLog(serverId: $id) { nodes { outcome subject } } }`);

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const MB = 1024 * 1024;

describe('an over-size mail and the server\'s memory', () => {
  const spawned = useSpawnedMailbox('Oversize');

  it('quarantines a 60 MB mail (limit 25 MB) with its RSS growing by less than 50 MB', async () => {
    const { user, server, admin, serverId } = spawned();
    const pid = server.child.pid!;
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssBytes(pid);
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssBytes(pid));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const line = `${'x'.repeat(76)}\r\n`;
    await getDovecot().deliver(user, mail({ from: 'big@customer.example', to: user, subject: 'sixty megabytes', body: line.repeat(Math.ceil((60 * MB) / line.length)) }));
    await getDovecot().deliver(user, mail({ from: 'small@customer.example', to: user, subject: 'after the big one', body: 'small' }));
    await waitFor('both handled', async () => (await admin.execute(AuditLog, { id: serverId })).emailAuditLog.nodes.some((n) => n.subject === 'after the big one'), 120_000, 200);
    sampling = false;
    await sampler;
    console.log(`server RSS ${(before / MB).toFixed(0)} MB before, ${(peak / MB).toFixed(0)} MB at most while a 60 MB mail arrived (+${((peak - before) / MB).toFixed(1)} MB)`);
    expect(peak - before).toBeLessThan(50 * MB);
    const outcomes = new Map((await admin.execute(AuditLog, { id: serverId })).emailAuditLog.nodes.map((n) => [n.subject, n.outcome]));
    expect(outcomes.get('after the big one')).toBe('TICKET_CREATED');
    const [entry] = (await admin.execute(Quarantine, { serverId })).quarantinedMessages;
    expect(entry!.reason).toMatch(/^message is 6\d\.\d MB, over the 25\.0 MB limit \(only its first 64\.0 KB were downloaded\)$/);
    expect(entry!.size).toBeGreaterThan(60 * MB);
  }, 180_000);
});
