import { describe, expect, it } from 'vitest';
import { graphBaseUrl } from '../../server/src/mail/graph/graph-client.ts';
import { DeltaFormatError, INITIAL_DELTA_PATH, decodeGraphCursor, encodeGraphCursor, parseDeltaPage, planDeltaPage } from '../../server/src/mail/graph/graph-delta.ts';

// Shapes from Microsoft's "Get incremental changes to messages in a folder" documentation.
const middlePage = {
  '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#Collection(message)",
  '@odata.nextLink': "https://graph.microsoft.com/v1.0/me/mailfolders('AQMkADNkNAAAgEMAAAA')/messages/delta?$skiptoken=GwcBoTmPuoTQWfcsAbkYM",
  value: [
    { '@odata.type': '#microsoft.graph.message', '@odata.etag': 'W/"CQAAABYAAAARn2vdzPFjSbaPPxzjlzOTAAASsKZz"', id: 'AAMkADNkNAAAgWkAAAA', receivedDateTime: '2016-12-09T18:31:03Z', isRead: false },
    { '@odata.type': '#microsoft.graph.message', id: 'AAMkADNkNAAAgWjAAAA', receivedDateTime: '2016-12-09T18:21:00Z', isRead: true },
  ],
};
const lastPage = {
  '@odata.deltaLink': "https://graph.microsoft.com/v1.0/me/mailfolders('AQMkADNkNAAAgEMAAAA')/messages/delta?$deltatoken=GwcBoTmPuoGNlgXgF1nyUNMXY",
  value: [
    { '@odata.type': '#microsoft.graph.message', id: 'AAMkADNkNAAAgWiAAAA', '@removed': { reason: 'deleted' } },
  ],
};

describe('parseDeltaPage', () => {
  it('reads ids, read flags, removals and the links', () => {
    expect(parseDeltaPage(middlePage)).toEqual({
      entries: [{ id: 'AAMkADNkNAAAgWkAAAA', isRead: false, removed: false }, { id: 'AAMkADNkNAAAgWjAAAA', isRead: true, removed: false }],
      nextLink: middlePage['@odata.nextLink'],
      deltaLink: null,
    });
    expect(parseDeltaPage(lastPage)).toEqual({
      entries: [{ id: 'AAMkADNkNAAAgWiAAAA', isRead: null, removed: true }],
      nextLink: null,
      deltaLink: lastPage['@odata.deltaLink'],
    });
  });

  it('refuses pages that are not the documented shape', () => {
    expect(() => parseDeltaPage({ value: [] })).toThrow(DeltaFormatError);
    expect(() => parseDeltaPage({ '@odata.deltaLink': 'x' })).toThrow(DeltaFormatError);
    expect(() => parseDeltaPage(null)).toThrow(DeltaFormatError);
    expect(parseDeltaPage({ '@odata.deltaLink': 'x', value: [{ id: 5 }, null, { id: '' }, { id: 'ok' }] }).entries).toEqual([{ id: 'ok', isRead: null, removed: false }]);
  });
});

describe('planDeltaPage', () => {
  const entries = parseDeltaPage(middlePage).entries;
  it('first round: unread only; later rounds: everything new, whatever its flag', () => {
    expect(planDeltaPage(entries, true)).toEqual(['AAMkADNkNAAAgWkAAAA']);
    expect(planDeltaPage(entries, false)).toEqual(['AAMkADNkNAAAgWkAAAA', 'AAMkADNkNAAAgWjAAAA']);
  });

  it('removed entries are ignored; repeats are taken once', () => {
    expect(planDeltaPage([...parseDeltaPage(lastPage).entries, { id: 'a', isRead: false, removed: false }, { id: 'a', isRead: false, removed: false }], false)).toEqual(['a']);
  });
});

describe('Graph cursor and URLs', () => {
  it('round-trips and survives garbage', () => {
    const cursor = { link: lastPage['@odata.deltaLink'], initialDone: true, pending: ['x'] };
    expect(decodeGraphCursor(encodeGraphCursor(cursor))).toEqual(cursor);
    expect(decodeGraphCursor('nope')).toEqual({ link: null, initialDone: false, pending: [] });
  });

  it('the first request selects only what the sync needs and asks for created messages in later rounds', () => {
    expect(INITIAL_DELTA_PATH).toBe("/mailFolders('Inbox')/messages/delta?changeType=created&$select=id,isRead,receivedDateTime");
  });

  it('graph.microsoft.com by default; the server\'s own host for national clouds and tests', () => {
    expect(graphBaseUrl({ host: 'graph.microsoft.com', port: 443, security: 'SSL' }).toString()).toBe('https://graph.microsoft.com/v1.0');
    expect(graphBaseUrl({ host: null, port: null, security: null }).toString()).toBe('https://graph.microsoft.com/v1.0');
    expect(graphBaseUrl({ host: 'graph.microsoft.us', port: 443, security: 'SSL' }).toString()).toBe('https://graph.microsoft.us/v1.0');
    expect(graphBaseUrl({ host: '127.0.0.1', port: 8080, security: 'NONE' }).toString()).toBe('http://127.0.0.1:8080/v1.0');
  });
});
