import { describe, expect, it } from 'vitest';
import { internalFailure, MailError } from '../../server/src/mail/connector.ts';
import { decodeImapCursor, encodeImapCursor } from '../../server/src/mail/imap/imap-cursor.ts';
import { classifyImapError } from '../../server/src/mail/imap/imap-errors.ts';
import { resolveFolder } from '../../server/src/mail/imap/imap-folders.ts';
import { sameView, searchMayHaveMissed, serverNumber, uidSet } from '../../server/src/mail/imap/imap-sync-plan.ts';

describe('serverNumber', () => {
  it('never lets NaN through: a missing UIDNEXT (Courier) is null, not NaN', () => {
    expect(serverNumber(undefined)).toBeNull();
    expect(serverNumber(Number.NaN)).toBeNull();
    expect(serverNumber('NaN')).toBeNull();
    expect(serverNumber(0)).toBeNull();
    expect(serverNumber(0, { allowZero: true })).toBe(0);
    expect(serverNumber(-3)).toBeNull();
    expect(serverNumber(2 ** 60)).toBeNull();
    expect(serverNumber(1796398443n)).toBe(1796398443);
    expect(serverNumber('42')).toBe(42);
  });
});

describe('searchMayHaveMissed', () => {
  const view = (exists: number, uidNext: number | null) => ({ uidValidity: 7, exists, uidNext });

  it('trusts a search that reaches UIDNEXT - 1', () => {
    expect(searchMayHaveMissed(view(5, 6), 3, [4, 5])).toBe(false);
    expect(searchMayHaveMissed(view(5, 6), 5, [])).toBe(false);
  });

  it('doubts a search that returns nothing while UIDNEXT moved on (GNU Mailutils\' UID SEARCH UID n:*)', () => {
    expect(searchMayHaveMissed(view(6, 7), 5, [])).toBe(true);
    expect(searchMayHaveMissed(view(6, 9), 5, [6, 7])).toBe(true);
  });

  it('doubts a refused search and, without UIDNEXT, any non-empty mailbox; never an empty one', () => {
    expect(searchMayHaveMissed(view(1, 9), 5, null)).toBe(true);
    expect(searchMayHaveMissed(view(3, null), 5, [])).toBe(true);
    expect(searchMayHaveMissed(view(0, 9), 5, [])).toBe(false);
    expect(searchMayHaveMissed(view(0, null), 5, null)).toBe(false);
  });

  it('compares views field by field', () => {
    expect(sameView(null, view(1, 2))).toBe(false);
    expect(sameView(view(1, 2), view(1, 2))).toBe(true);
    expect(sameView(view(1, 2), view(1, 3))).toBe(false);
    expect(sameView(view(1, 2), { ...view(1, 2), uidValidity: 8 })).toBe(false);
  });
});

describe('uidSet', () => {
  it('folds runs and sorts', () => {
    expect(uidSet([9, 1, 2, 3, 4, 7, 10, 11, 12, 3])).toBe('1:4,7,9:12');
    expect(uidSet([5])).toBe('5');
    expect(uidSet(Array.from({ length: 10_000 }, (_, i) => i + 1))).toBe('1:10000');
  });
});

describe('resolveFolder', () => {
  const courier = [{ path: 'INBOX', delimiter: '.' }, { path: 'INBOX.Processed', delimiter: '.' }, { path: 'INBOX.Support.Done', delimiter: '.' }];
  const cyrus = [{ path: 'INBOX', delimiter: '/' }, { path: 'INBOX/Processed', delimiter: '/' }];
  const dovecot = [{ path: 'INBOX', delimiter: '/' }, { path: 'Processed', delimiter: '/' }, { path: 'Archive/2024', delimiter: '/' }];

  it('finds the folder under INBOX with the server\'s delimiter', () => {
    expect(resolveFolder('Processed', courier, 'INBOX.')).toBe('INBOX.Processed');
    expect(resolveFolder('Processed', cyrus, 'INBOX/')).toBe('INBOX/Processed');
    expect(resolveFolder('Processed', dovecot)).toBe('Processed');
  });

  it('reads "/" as the server\'s delimiter and accepts the server\'s own path', () => {
    expect(resolveFolder('Support/Done', courier, 'INBOX.')).toBe('INBOX.Support.Done');
    expect(resolveFolder('INBOX/Processed', courier)).toBe('INBOX.Processed');
    expect(resolveFolder('INBOX.Processed', courier)).toBe('INBOX.Processed');
    expect(resolveFolder('Archive/2024', dovecot)).toBe('Archive/2024');
  });

  it('falls back to a unique case-insensitive match, and says null when there is none', () => {
    expect(resolveFolder('processed', cyrus)).toBe('INBOX/Processed');
    expect(resolveFolder('Missing', cyrus)).toBeNull();
    expect(resolveFolder('  ', cyrus)).toBeNull();
    expect(resolveFolder('Processed', [{ path: 'INBOX', delimiter: '.' }, { path: 'processed', delimiter: '.' }, { path: 'PROCESSED', delimiter: '.' }])).toBeNull();
  });
});

describe('IMAP cursor', () => {
  it('round-trips pending moves and the resync mark, and drops anything malformed', () => {
    expect(decodeImapCursor(encodeImapCursor({ move: [3, 4], resync: true }))).toEqual({ move: [3, 4], resync: true });
    expect(encodeImapCursor({ move: [], resync: false })).toBeNull();
    expect(decodeImapCursor(null)).toEqual({ move: [], resync: false });
    expect(decodeImapCursor('{"move":[1,"x",-2,null,NaN]')).toEqual({ move: [], resync: false });
    expect(decodeImapCursor('{"move":[1,"x",-2,2.5],"resync":"yes"}')).toEqual({ move: [1], resync: false });
  });
});

describe('IMAP failure wording', () => {
  it('names a refused command by its verb, status and response code, never the server\'s text', () => {
    const err = Object.assign(new Error('Command failed'), {
      responseStatus: 'NO', executedCommand: '12 UID FETCH 1:4 (UID BODY.PEEK[])', serverResponseCode: 'SERVERBUG', responseText: 'secret banner of host-42',
    });
    const failure = classifyImapError(err);
    expect(failure).toMatchObject({ kind: 'PROTOCOL', message: 'The mail server refused UID FETCH (NO [SERVERBUG])' });
    expect(classifyImapError(Object.assign(new Error('x'), { responseStatus: 'BAD', executedCommand: '3 SELECT INBOX', response: '3 BAD [CLIENTBUG] nope' })).message)
      .toBe('The mail server refused SELECT (BAD [CLIENTBUG])');
    expect(classifyImapError(Object.assign(new Error('x'), { responseStatus: 'NO' })).message).toBe('The mail server refused a command (NO)');
    // imapflow leaves the code in the parsed response for FETCH.
    const parsed = { tag: '9', command: 'NO', attributes: [{ type: 'ATOM', value: '', section: [{ type: 'ATOM', value: 'SERVERBUG' }] }, { type: 'TEXT', value: 'x' }] };
    expect(classifyImapError(Object.assign(new Error('x'), { responseStatus: 'NO', executedCommand: '9 UID FETCH 1 (UID BODY.PEEK[])', response: parsed })).message)
      .toBe('The mail server refused UID FETCH (NO [SERVERBUG])');
  });

  it('names Mailroom\'s own failures as ours, with what it was doing and the first line of the error', () => {
    const failure = internalFailure('saving the mailbox checkpoint', new Error('invalid input syntax for type bigint: "NaN"\n    at stack'));
    expect(failure).toMatchObject({ kind: 'INTERNAL', message: 'Mailroom failed while saving the mailbox checkpoint: invalid input syntax for type bigint: "NaN"' });
    expect(failure.cause).toBeInstanceOf(Error);
    const ours = new MailError('AUTH', 'kept');
    expect(internalFailure('anything', ours)).toBe(ours);
  });
});
