import { describe, expect, it } from 'vitest';
import { dryRunAcknowledgment, dryRunOutcomeLabels, outcomeLabels } from '@/lib/labels';

describe('dry run wording', () => {
  it('says what would happen, never that it happened', () => {
    for (const [outcome, label] of Object.entries(dryRunOutcomeLabels)) {
      expect(label, outcome).toMatch(/^Would /);
      expect(label).not.toBe(outcomeLabels[outcome as keyof typeof outcomeLabels]);
    }
    expect(dryRunOutcomeLabels.TICKET_CREATED).toBe('Would create a request');
  });

  it('says whether the acknowledgment would go out', () => {
    expect(dryRunAcknowledgment(true)).toBe('Would be sent');
    expect(dryRunAcknowledgment(false)).toMatch(/^Would not be sent/);
    expect(dryRunAcknowledgment(null)).toBeNull();
  });
});
