import { describe, expect, it } from 'vitest';
import { errorsFor, groupFieldErrors, keysForPath, unclaimedFieldErrors } from './fieldErrors';

describe('keysForPath', () => {
  it('drops the leading input segment', () => {
    expect(keysForPath(['input', 'port'])).toEqual(['port']);
  });

  it('accepts a dotted string', () => {
    expect(keysForPath('oauth.clientId')).toEqual(['oauth.clientId', 'clientId']);
  });

  it('files list entries under the list and its name', () => {
    expect(keysForPath(['input', 'filter', 'domains', '2'])).toEqual([
      'filter.domains.2',
      'filter.domains',
      'domains',
    ]);
  });
});

describe('groupFieldErrors', () => {
  it('says which line of a list an error is about', () => {
    const map = groupFieldErrors([{ path: ['filter', 'domains', '0'], message: 'No @ please' }]);
    expect(errorsFor(map, 'filter.domains')).toEqual(['Line 1: No @ please']);
  });

  it('finds an error whichever name the field asks with, once', () => {
    const map = groupFieldErrors([{ path: ['input', 'oauth', 'tokenUrl'], message: 'Required' }]);
    expect(errorsFor(map, 'oauth.tokenUrl', 'tokenUrl')).toEqual(['Required']);
  });
});

describe('unclaimedFieldErrors', () => {
  it('keeps errors no field displays so they are not swallowed', () => {
    const errors = [
      { path: ['input', 'port'], message: 'Bad port' },
      { path: ['input', 'companyId'], message: 'Unknown company' },
    ];
    expect(unclaimedFieldErrors(errors, ['port'])).toEqual([errors[1]]);
  });
});
