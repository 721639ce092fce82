import { describe, expect, it } from 'vitest';
import { BUSY_UTILISATION, CALM_SECONDS, CALM_UTILISATION, HeapMode } from '../../server/src/lib/heap.ts';

describe('HeapMode: the heap sized for memory when calm, for throughput when busy', () => {
  it('starts sized for memory and switches to throughput on the first busy second', () => {
    const mode = new HeapMode();
    expect(mode.sizing).toBe('memory');
    expect(mode.sample(0.01)).toBeNull();
    expect(mode.sample(BUSY_UTILISATION - 0.01)).toBeNull();
    expect(mode.sample(BUSY_UTILISATION)).toBe('throughput');
    expect(mode.sample(0.99)).toBeNull();
    expect(mode.sizing).toBe('throughput');
  });

  it(`goes back to memory only after ${CALM_SECONDS} calm seconds in a row; a busy or middling second starts the count again`, () => {
    const mode = new HeapMode();
    mode.sample(1);
    for (let i = 0; i < CALM_SECONDS - 1; i++) expect(mode.sample(0.05)).toBeNull();
    expect(mode.sample(CALM_UTILISATION)).toBeNull(); // middling: neither busy nor calm
    for (let i = 0; i < CALM_SECONDS - 1; i++) expect(mode.sample(0)).toBeNull();
    expect(mode.sample(0.9)).toBeNull(); // busy again: still throughput, count restarts
    for (let i = 0; i < CALM_SECONDS - 1; i++) expect(mode.sample(0)).toBeNull();
    expect(mode.sample(0)).toBe('memory');
    expect(mode.sample(0)).toBeNull();
    expect(mode.sizing).toBe('memory');
  });
});
