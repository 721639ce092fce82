import { describe, expect, it } from 'vitest';
import { checkingLabel } from '@/lib/serverLabels';

describe('checkingLabel: how current "last checked" is', () => {
  it('says real-time mailboxes are still checked, and how often', () => {
    expect(checkingLabel({ protocol: 'IMAP', realTimeScanning: true, checkIntervalSeconds: 15 })).toBe('Real-time · checked every 15 s');
    expect(checkingLabel({ protocol: 'GRAPH', realTimeScanning: true, checkIntervalSeconds: 15 })).toBe('Real-time · checked every 15 s');
    expect(checkingLabel({ protocol: 'IMAP', realTimeScanning: true, checkIntervalSeconds: 15, health: { idlePush: false } })).toBe('Real-time · checked every 15 s');
  });

  it('says when the server pushes, so the longer interval is no surprise', () => {
    expect(checkingLabel({ protocol: 'IMAP', realTimeScanning: true, checkIntervalSeconds: 120, health: { idlePush: true } })).toBe('Real-time · pushed by the server, checked every 2 min');
    expect(checkingLabel({ protocol: 'IMAP', realTimeScanning: false, checkIntervalSeconds: 120, health: { idlePush: true } })).toBe('Checked every 2 min');
  });

  it('gives polled mailboxes their interval, exactly', () => {
    expect(checkingLabel({ protocol: 'IMAP', realTimeScanning: false, checkIntervalSeconds: 120 })).toBe('Checked every 2 min');
    expect(checkingLabel({ protocol: 'IMAP', realTimeScanning: false, checkIntervalSeconds: 90 })).toBe('Checked every 90 s');
    expect(checkingLabel({ protocol: 'POP3', realTimeScanning: true, checkIntervalSeconds: 300 })).toBe('Checked every 5 min');
  });
});
