import type { EmailOutcome } from '@/graphql/generated/graphql';
import { outcomeOrder } from '@/lib/labels';

export interface IngestBucket {
  hour: string;
  outcome: EmailOutcome;
  count: number;
}

export interface HourColumn {
  /** Start of the hour, ms since the epoch. */
  start: number;
  total: number;
  /** Stacked from the bottom in `outcomeOrder`. */
  segments: { outcome: EmailOutcome; count: number }[];
}

const HOUR = 3_600_000;

/**
 * The API leaves empty hours out; a chart needs every hour of the window, oldest first, ending
 * with the current (partial) hour.
 */
export function hourColumns(buckets: readonly IngestBucket[], hours: number, now: number): HourColumn[] {
  const lastStart = Math.floor(now / HOUR) * HOUR;
  const firstStart = lastStart - (hours - 1) * HOUR;
  const byHour = new Map<number, Map<EmailOutcome, number>>();
  for (const bucket of buckets) {
    const start = Math.floor(Date.parse(bucket.hour) / HOUR) * HOUR;
    if (start < firstStart || start > lastStart) continue;
    const counts = byHour.get(start) ?? new Map<EmailOutcome, number>();
    counts.set(bucket.outcome, (counts.get(bucket.outcome) ?? 0) + bucket.count);
    byHour.set(start, counts);
  }
  const columns: HourColumn[] = [];
  for (let start = firstStart; start <= lastStart; start += HOUR) {
    const counts = byHour.get(start);
    const segments = outcomeOrder
      .filter((outcome) => (counts?.get(outcome) ?? 0) > 0)
      .map((outcome) => ({ outcome, count: counts?.get(outcome) ?? 0 }));
    columns.push({ start, total: segments.reduce((sum, s) => sum + s.count, 0), segments });
  }
  return columns;
}

export function totalsByOutcome(buckets: readonly IngestBucket[]): { outcome: EmailOutcome; count: number }[] {
  const totals = new Map<EmailOutcome, number>();
  for (const bucket of buckets) totals.set(bucket.outcome, (totals.get(bucket.outcome) ?? 0) + bucket.count);
  return outcomeOrder.filter((o) => totals.has(o)).map((outcome) => ({ outcome, count: totals.get(outcome) ?? 0 }));
}

/** A round axis maximum (1, 2, 5 × 10ⁿ) so gridlines land on readable numbers. */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}
