import { describe, expect, it } from 'vitest';
import { displayValue, entityName } from './configDiff';

describe('displayValue', () => {
  it('shows redacted secrets as such, never a value', () => {
    expect(displayValue('"[redacted]"')).toEqual({ text: 'redacted', redacted: true, empty: false });
  });
  it('unquotes strings and joins plain lists', () => {
    expect(displayValue('"imap.example.com"').text).toBe('imap.example.com');
    expect(displayValue('["a.example","b.example"]').text).toBe('a.example, b.example');
    expect(displayValue('993').text).toBe('993');
  });
  it('reads absent values as a dash', () => {
    expect(displayValue(null)).toMatchObject({ text: '—', empty: true });
    expect(displayValue('null')).toMatchObject({ text: '—', empty: true });
  });
});

describe('entityName', () => {
  it('prefers the new name', () => {
    expect(entityName('{"name":"Old"}', '{"name":"New"}')).toBe('New');
    expect(entityName('{"name":"Gone"}', null)).toBe('Gone');
    expect(entityName(null, '{"x":1}')).toBeNull();
  });
});
