import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatMs, plural } from './format';

describe('formatBytes', () => {
  it.each([
    [512, '512 B'],
    [1536, '1.5 KB'],
    [25 * 1024 * 1024, '25 MB'],
    [10.4 * 1024 * 1024, '10 MB'],
  ])('%i bytes read %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe('formatDuration', () => {
  it.each([
    [45, '45 s'],
    [720, '12 min'],
    [3 * 3600 + 5 * 60, '3 h 5 min'],
    [7200, '2 h'],
    [2 * 86400 + 4 * 3600, '2 d 4 h'],
  ])('%i s reads %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});

describe('formatMs / plural', () => {
  it('switches to seconds at one second', () => {
    expect(formatMs(320)).toBe('320 ms');
    expect(formatMs(1420)).toBe('1.4 s');
  });
  it('pluralises', () => {
    expect(plural(1, 'ticket')).toBe('1 ticket');
    expect(plural(3, 'ticket')).toBe('3 tickets');
  });
});
