import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF } from '../../server/src/mail/backoff.ts';

describe('Backoff', () => {
  const noJitter = () => 0.5;

  it('grows from 2 s by ×1.5 up to the 30 s cap', () => {
    const b = new Backoff(DEFAULT_BACKOFF, noJitter);
    const delays = Array.from({ length: 10 }, () => b.failed(0));
    expect(delays.slice(0, 4)).toEqual([2000, 3000, 4500, 6750]);
    expect(Math.max(...delays)).toBe(30_000);
    expect(delays.at(-1)).toBe(30_000);
  });

  it('jitters within ±20 %', () => {
    expect(new Backoff(DEFAULT_BACKOFF, () => 0).failed(0)).toBe(1600);
    expect(new Backoff(DEFAULT_BACKOFF, () => 1).failed(0)).toBe(2400);
  });

  it('resets only after the connection stayed up for a while', () => {
    const b = new Backoff(DEFAULT_BACKOFF, noJitter);
    b.failed(0);
    b.failed(0);
    b.connected(1000);
    expect(b.failed(5000)).toBe(4500); // flapped after 4 s: keep backing off
    b.connected(10_000);
    expect(b.failed(10_000 + DEFAULT_BACKOFF.stableAfterMs)).toBe(2000); // stayed up a minute: start over
  });
});
