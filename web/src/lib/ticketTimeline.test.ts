import { describe, expect, it } from 'vitest';
import type { TicketEventFieldsFragment, TicketMessageFieldsFragment } from '@/graphql/generated/graphql';
import { conversationTimeline, describeTicketEvent, parseAddressList } from './ticketTimeline';

const message = (id: string, at: string): TicketMessageFieldsFragment => ({
  id,
  kind: 'INCOMING',
  direction: 'INBOUND',
  from: 'a@example.com',
  fromName: null,
  to: [],
  cc: [],
  subject: null,
  receivedAt: at,
  sentAt: null,
  bodyText: 'hi',
  bodyHtml: null,
  author: null,
  delivery: null,
  attachments: [],
});
const event = (id: string, at: string, over: Partial<TicketEventFieldsFragment> = {}): TicketEventFieldsFragment => ({
  id,
  at,
  field: 'STATUS',
  from: 'OPEN',
  to: 'PENDING',
  actor: { id: 'ada', name: 'Ada Lovelace', email: 'ada@x.test' },
  ...over,
});

describe('conversationTimeline', () => {
  it('weaves the history between the messages, oldest first; a change at a message time follows it', () => {
    const items = conversationTimeline(
      [message('m1', '2026-01-01T10:00:00Z'), message('m2', '2026-01-01T12:00:00Z')],
      [event('e2', '2026-01-01T12:00:00Z'), event('e1', '2026-01-01T11:00:00Z')],
    );
    expect(items.map((i) => i.key)).toEqual(['m:m1', 'e:e1', 'm:m2', 'e:e2']);
  });
});

describe('describeTicketEvent', () => {
  it('names who changed what', () => {
    expect(describeTicketEvent(event('e', 'x'))).toBe('Ada Lovelace changed status from Open to Pending');
    expect(describeTicketEvent(event('e', 'x'), 'ada')).toBe('You changed status from Open to Pending');
    expect(describeTicketEvent(event('e', 'x', { field: 'PRIORITY', from: null, to: 'High' }))).toBe('Ada Lovelace set priority to High');
    expect(describeTicketEvent(event('e', 'x', { field: 'PRIORITY', from: 'High', to: null }))).toBe('Ada Lovelace cleared priority (was High)');
    expect(describeTicketEvent(event('e', 'x', { field: 'ASSIGNEE', from: null, to: 'Bob' }))).toBe('Ada Lovelace assigned it to Bob');
    expect(describeTicketEvent(event('e', 'x', { field: 'ASSIGNEE', from: 'Bob', to: null }))).toBe('Ada Lovelace unassigned it (was Bob)');
  });
  it('says when the requester’s mail re-opened the ticket', () => {
    expect(describeTicketEvent(event('e', 'x', { actor: null, from: 'PENDING', to: 'OPEN' }))).toBe("The requester's reply set status from Pending to Open");
  });
});

describe('parseAddressList', () => {
  it('splits, reduces display names, lower-cases and keeps each address once', () => {
    expect(parseAddressList('Ada <Ada@Example.com>, bob@example.com; bob@example.com\ncarol@example.org dave@example.net')).toEqual({
      addresses: ['ada@example.com', 'bob@example.com', 'carol@example.org', 'dave@example.net'],
      invalid: [],
    });
  });
  it('lists what is not an address', () => {
    expect(parseAddressList('nobody, ok@example.com, x@y')).toEqual({ addresses: ['ok@example.com'], invalid: ['nobody', 'x@y'] });
    expect(parseAddressList('  ')).toEqual({ addresses: [], invalid: [] });
  });
});
