import { describe, expect, it } from 'vitest';
import { ewsServiceUrl } from '../../server/src/mail/ews/ews-service.ts';
import { chunk, decodeEwsCursor, encodeEwsCursor, planEwsPage, type EwsChange } from '../../server/src/mail/ews/ews-sync-plan.ts';

const create = (itemId: string, isRead: boolean): EwsChange => ({ kind: 'Create', itemId, isRead });

describe('planEwsPage', () => {
  it('first pass: only unread items that were already in the Inbox', () => {
    expect(planEwsPage([create('a', false), create('b', true), create('c', false)], true)).toEqual(['a', 'c']);
  });

  it('later passes: every new item, read or not (a person opening it first must not make it disappear)', () => {
    expect(planEwsPage([create('a', true), create('b', false)], false)).toEqual(['a', 'b']);
  });

  it('updates, read-flag changes and deletions never become messages; duplicates are taken once', () => {
    const changes: EwsChange[] = [
      { kind: 'ReadFlagChange', itemId: 'x', isRead: false },
      { kind: 'Update', itemId: 'y', isRead: null },
      { kind: 'Delete', itemId: 'z', isRead: null },
      create('n', false),
      create('n', false),
    ];
    expect(planEwsPage(changes, false)).toEqual(['n']);
  });

  it('a Create without a read flag counts as unread on the first pass', () => {
    expect(planEwsPage([{ kind: 'Create', itemId: 'q', isRead: null }], true)).toEqual(['q']);
  });
});

describe('EWS cursor', () => {
  it('round-trips and survives garbage', () => {
    const cursor = { syncState: 'H4sIAAAA==', initialDone: true, pending: ['AAMk+/=', 'b'] };
    expect(decodeEwsCursor(encodeEwsCursor(cursor))).toEqual(cursor);
    expect(decodeEwsCursor(null)).toEqual({ syncState: null, initialDone: false, pending: [] });
    expect(decodeEwsCursor('{not json')).toEqual({ syncState: null, initialDone: false, pending: [] });
    expect(decodeEwsCursor('{"syncState":5,"pending":[1,"x"]}')).toEqual({ syncState: null, initialDone: false, pending: ['x'] });
  });

  it('chunks batches', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 10)).toEqual([]);
  });
});

describe('ewsServiceUrl', () => {
  const server = { ewsUrl: null, host: 'mail.contoso.com', port: 443, security: 'SSL' as const };
  it('derives https://host/EWS/Exchange.asmx, with the port only when it is not the default', () => {
    expect(ewsServiceUrl(server).toString()).toBe('https://mail.contoso.com/EWS/Exchange.asmx');
    expect(ewsServiceUrl({ ...server, port: 8443 }).toString()).toBe('https://mail.contoso.com:8443/EWS/Exchange.asmx');
    expect(ewsServiceUrl({ ...server, security: 'NONE', port: 8080 }).toString()).toBe('http://mail.contoso.com:8080/EWS/Exchange.asmx');
    expect(ewsServiceUrl({ ...server, host: '::1', port: 8443 }).toString()).toBe('https://[::1]:8443/EWS/Exchange.asmx');
  });

  it('the admin\'s EWS URL wins', () => {
    expect(ewsServiceUrl({ ...server, ewsUrl: 'https://ews.contoso.com/custom/Exchange.asmx' }).toString()).toBe('https://ews.contoso.com/custom/Exchange.asmx');
  });
});
