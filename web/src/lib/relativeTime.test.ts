import { describe, expect, it } from 'vitest';
import { relativeTime } from './relativeTime';

const now = Date.parse('2026-01-01T12:00:00Z');
const before = (seconds: number) => new Date(now - seconds * 1000).toISOString();

describe('relativeTime', () => {
  it.each([
    [3, 'just now'],
    [42, '42 s ago'],
    [120, '2 min ago'],
    [3 * 3600, '3 h ago'],
    [5 * 86400, '5 d ago'],
    [-30, 'just now'],
  ])('%i seconds ago reads "%s"', (seconds, text) => {
    expect(relativeTime(before(seconds), now)).toBe(text);
  });
});
