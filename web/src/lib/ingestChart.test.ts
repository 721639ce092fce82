import { describe, expect, it } from 'vitest';
import { hourColumns, niceMax, totalsByOutcome } from './ingestChart';

const now = Date.parse('2026-03-01T12:30:00Z');

describe('hourColumns', () => {
  it('fills every hour of the window, oldest first, ending with the current hour', () => {
    const columns = hourColumns(
      [
        { hour: '2026-03-01T12:00:00Z', outcome: 'FILTERED', count: 2 },
        { hour: '2026-03-01T12:00:00Z', outcome: 'TICKET_CREATED', count: 3 },
        { hour: '2026-03-01T10:00:00Z', outcome: 'FAILED', count: 1 },
      ],
      4,
      now,
    );
    expect(columns.map((c) => new Date(c.start).toISOString().slice(11, 13))).toEqual(['09', '10', '11', '12']);
    expect(columns.map((c) => c.total)).toEqual([0, 1, 0, 5]);
    // Stacked in the legend's order: created first, whatever order the API used.
    expect(columns[3]?.segments.map((s) => s.outcome)).toEqual(['TICKET_CREATED', 'FILTERED']);
  });

  it('drops buckets outside the window', () => {
    const columns = hourColumns([{ hour: '2026-02-01T00:00:00Z', outcome: 'FAILED', count: 9 }], 24, now);
    expect(columns).toHaveLength(24);
    expect(columns.every((c) => c.total === 0)).toBe(true);
  });
});

describe('totalsByOutcome / niceMax', () => {
  it('sums per outcome', () => {
    expect(
      totalsByOutcome([
        { hour: 'a', outcome: 'FAILED', count: 1 },
        { hour: 'b', outcome: 'FAILED', count: 2 },
        { hour: 'b', outcome: 'TICKET_CREATED', count: 4 },
      ]),
    ).toEqual([
      { outcome: 'TICKET_CREATED', count: 4 },
      { outcome: 'FAILED', count: 3 },
    ]);
  });
  it.each([
    [0, 1],
    [3, 5],
    [7, 10],
    [12, 20],
    [480, 500],
  ])('rounds %i up to %i', (value, nice) => expect(niceMax(value)).toBe(nice));
});
