import { describe, expect, it } from 'vitest';
import { formatList, parseList } from './lists';

describe('parseList', () => {
  it('splits lines and commas, trims, drops blanks and duplicates', () => {
    expect(parseList(' a.example \n\nb.example, a.example ,')).toEqual(['a.example', 'b.example']);
  });

  it('keeps commas inside keywords when asked to', () => {
    expect(parseList('out of office, back soon\ninvoice', { commas: false })).toEqual([
      'out of office, back soon',
      'invoice',
    ]);
  });

  it('round-trips with formatList', () => {
    expect(parseList(formatList(['x', 'y']))).toEqual(['x', 'y']);
  });
});
