import { describe, expect, it } from 'vitest';
import { regexProblem } from '@/lib/regexCheck';

describe('regexProblem (RE2, as the server compiles rule patterns)', () => {
  it('accepts RE2 syntax the browser refuses or reads otherwise', () => {
    expect(regexProblem('(?i)urgent')).toBeNull();
    expect(regexProblem('^\\[urgent\\]')).toBeNull();
    expect(regexProblem('(?P<year>\\d{4})')).toBeNull();
    expect(regexProblem('[a-z]+@example\\.(com|org)')).toBeNull();
  });

  it('refuses what RE2 refuses, saying where and why', () => {
    expect(regexProblem('invoice(?= 42)')).toEqual({ index: 7, message: 'At character 8: lookahead and lookbehind ((?=) are not supported by RE2.' });
    expect(regexProblem('(a)\\1')).toEqual({ index: 3, message: 'At character 4: backreferences (\\1) are not supported by RE2.' });
    expect(regexProblem('foo(bar')).toEqual({ index: 3, message: 'At character 4: this ( is never closed — add the ) that ends the group.' });
    expect(regexProblem('a(b)c)d')).toEqual({ index: 5, message: 'At character 6: this ) closes no group — remove it, or write \\) for a literal parenthesis.' });
    expect(regexProblem('[(]x(')).toMatchObject({ index: 4 });
    expect(regexProblem('abc[def')?.message).toMatch(/^At character 4: this character class is never closed/);
    expect(regexProblem('a**')?.message).toBe('At character 2: ** repeats a repetition — remove one of them.');
    expect(regexProblem('x{2,1}')?.message).toMatch(/^At character 2: \{2,1\} is not a repeat count/);
    expect(regexProblem('*urgent')?.message).toMatch(/^At character 1: \* has nothing before it to repeat/);
    expect(regexProblem('path\\')?.message).toMatch(/^At character 5: the pattern ends with a lone \\/);
    expect(regexProblem('x'.repeat(501))?.message).toBe('A regular expression can be at most 500 characters');
  });
});
