import { describe, expect, it } from 'vitest';
import { applyFilter, matchFilter, type ServerFilter } from '../../server/src/ingest/steps/filter.ts';

const msg = (from: string, subject = 'Printer jammed', text = 'The printer on floor 2 is jammed again.') => ({
  from: { address: from, name: null }, subject, text,
});

const filter = (over: Partial<ServerFilter>): ServerFilter => ({
  filterType: null, filterEmails: [], filterDomains: [], filterKeywords: [], ...over,
});

describe('applyFilter without a filter', () => {
  it('accepts everything', () => {
    expect(applyFilter(filter({}), msg('bob@yahoo.com'))).toEqual({ accepted: true, match: null, reason: 'no filter: all mail accepted' });
  });

  it('treats a filter type without entries as no filter', () => {
    expect(applyFilter(filter({ filterType: 'ALLOW', filterEmails: ['  '] }), msg('bob@yahoo.com')).accepted).toBe(true);
  });
});

describe('applyFilter IGNORE', () => {
  const ignore = filter({ filterType: 'IGNORE', filterEmails: ['hr@company.com'], filterDomains: [' Yahoo.com '], filterKeywords: ['Out of Office', 'Auto Reply'] });

  it('discards a matching domain and names the entry', () => {
    expect(applyFilter(ignore, msg('bob@yahoo.com'))).toEqual({
      accepted: false,
      match: { kind: 'domain', entry: 'Yahoo.com', where: 'sender' },
      reason: 'IGNORE filter: domain "Yahoo.com" matched sender bob@yahoo.com',
    });
  });

  it('matches the domain exactly, not subdomains or lookalikes', () => {
    expect(applyFilter(ignore, msg('bob@mail.yahoo.com')).accepted).toBe(true);
    expect(applyFilter(ignore, msg('bob@notyahoo.com')).accepted).toBe(true);
  });

  it('discards a matching address, case-insensitively', () => {
    expect(applyFilter(ignore, msg('HR@Company.com')).reason).toBe('IGNORE filter: email "hr@company.com" matched sender HR@Company.com');
  });

  it('finds keywords in subject or body, across line breaks and case', () => {
    expect(applyFilter(ignore, msg('a@b.example', 'OUT OF OFFICE until Monday')).reason).toBe('IGNORE filter: keyword "Out of Office" found in the subject');
    expect(applyFilter(ignore, msg('a@b.example', 'Hello', 'This is an auto\nreply.')).reason).toBe('IGNORE filter: keyword "Auto Reply" found in the body');
  });

  it('accepts the rest', () => {
    expect(applyFilter(ignore, msg('alice@customer.example'))).toEqual({ accepted: true, match: null, reason: 'IGNORE filter: no entry matched' });
  });
});

describe('applyFilter ALLOW', () => {
  const allow = filter({ filterType: 'ALLOW', filterEmails: ['ceo@partner.example'], filterDomains: ['customer.example'], filterKeywords: ['urgent'] });

  it('accepts any matching entry (OR)', () => {
    expect(applyFilter(allow, msg('alice@customer.example')).reason).toBe('ALLOW filter: domain "customer.example" matched sender alice@customer.example');
    expect(applyFilter(allow, msg('ceo@partner.example')).accepted).toBe(true);
    expect(applyFilter(allow, msg('x@elsewhere.example', 'URGENT: server down')).reason).toBe('ALLOW filter: keyword "urgent" found in the subject');
  });

  it('blocks everything else and says so', () => {
    expect(applyFilter(allow, msg('bob@yahoo.com'))).toEqual({
      accepted: false, match: null, reason: 'ALLOW filter: sender bob@yahoo.com matches no allowed email, domain or keyword',
    });
  });

  it('does not let a subdomain through a domain entry', () => {
    expect(applyFilter(allow, msg('alice@eu.customer.example')).accepted).toBe(false);
  });
});

describe('matchFilter', () => {
  it('reports emails before domains before keywords', () => {
    const f = filter({ filterType: 'IGNORE', filterEmails: ['a@x.example'], filterDomains: ['x.example'], filterKeywords: ['printer'] });
    expect(matchFilter(f, msg('a@x.example'))?.kind).toBe('email');
    expect(matchFilter(f, msg('b@x.example'))?.kind).toBe('domain');
    expect(matchFilter(f, msg('b@y.example'))?.kind).toBe('keyword');
  });

  it('tolerates a domain typed with @', () => {
    expect(matchFilter(filter({ filterType: 'IGNORE', filterDomains: ['@yahoo.com'] }), msg('bob@yahoo.com'))?.entry).toBe('@yahoo.com');
  });
});
