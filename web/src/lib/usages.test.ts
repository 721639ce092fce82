import { describe, expect, it } from 'vitest';
import { describeUsage } from '@/lib/usages';

describe('describeUsage', () => {
  it('counts and names what uses a thing', () => {
    expect(describeUsage({ kind: 'INCOMING_SERVER', count: 1, names: ['Support'] })).toBe('1 incoming email server: Support');
    expect(describeUsage({ kind: 'TICKET', count: 13, names: ['REQ-1', 'REQ-2', 'REQ-3', 'REQ-4', 'REQ-5'] })).toBe('13 requests: REQ-1, REQ-2, REQ-3, REQ-4, REQ-5 and 8 more');
    expect(describeUsage({ kind: 'QUEUED_MAIL', count: 2, names: [] })).toBe('2 queued acknowledgments');
    expect(describeUsage({ kind: 'TECHNICIAN', count: 1_200, names: [] })).toBe('1,200 technicians');
  });
});
