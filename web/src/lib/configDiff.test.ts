import { describe, expect, it } from 'vitest';
import { changeLabel, displayValue, entityName, isShownChange, readableValue } from './configDiff';

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

describe('readable changes', () => {
  it('names settings as the screens do', () => {
    expect(changeLabel('technicianGroupId')).toBe('Technician group');
    expect(changeLabel('actions.categoryId')).toBe('Sets category');
    expect(changeLabel('oauth.tokenUrl')).toBe('OAuth token URL');
    expect(changeLabel('someNewSetting')).toBe('Some new setting');
    expect(isShownChange('credentialsVersion')).toBe(false);
    expect(isShownChange('host')).toBe(true);
  });

  it('shows names for ids, words for enum values, dates for timestamps, sentences for conditions', () => {
    expect(readableValue('technicianGroupId', '"0b7c…"', 'Billing').text).toBe('Billing');
    expect(readableValue('outgoingServerId', '"7f1f7a3c-0d4c-4f51-9a46-0c7b1d3e9a11"', null).text).toBe('a deleted item');
    expect(readableValue('afterProcessing', '"MARK_READ"').text).toBe('Mark as read');
    expect(readableValue('resolution', '"RELEASED"').text).toBe('Released');
    expect(readableValue('security', '"TLS"').text).toBe('STARTTLS');
    expect(readableValue('enabled', 'true').text).toBe('Yes');
    expect(readableValue('maxMessageBytes', String(25 * 1024 * 1024)).text).toBe('25 MB');
    expect(readableValue('conditions', JSON.stringify([{ field: 'FROM', operator: 'ENDS_WITH', value: '@big.example' }, { field: 'SUBJECT', operator: 'REGEX', value: '^urgent' }])).text)
      .toBe('From ends with “@big.example”; Subject matches regex “^urgent”');
    expect(readableValue('oauthClientSecretExpiresAt', '"2026-03-01T00:00:00.000Z"').text).not.toMatch(/T00:00/);
    expect(readableValue('passwordSealed', '"[redacted]"')).toEqual({ text: 'set (hidden)', redacted: true, empty: false });
    expect(readableValue('moveToFolder', null).text).toBe('—');
  });
});
