import type { FilterType } from '../db/schema.js';
import type { ParsedMessage } from './parse.js';
import { acknowledgmentSuppressed, detectAutomated } from './steps/auto-reply.js';
import { checkDuplicate, contentFingerprint } from './steps/duplicates.js';
import { applyFilter } from './steps/filter.js';
import { addressesToCheck, detectOwnMail } from './steps/loop.js';
import { trimReply } from './steps/quote-trim.js';
import { ROUTE_FIELDS, actionLabel, evaluateRules, ruleSubjectOf, type Route, type RuleRow } from './steps/rules.js';
import { checkSenderCap } from './steps/sender-cap.js';
import { chooseReplyTarget, type LifecycleTicket } from './steps/reopen.js';
import { findThread, ticketReference } from './steps/threading.js';

export { acknowledgmentSuppressed, detectAutomated, isAutomated } from './steps/auto-reply.js';
export { contentFingerprint } from './steps/duplicates.js';
export { applyFilter, matchFilter } from './steps/filter.js';
export { trimReply } from './steps/quote-trim.js';
export { evaluateRules, validateRule, type RuleRow } from './steps/rules.js';
export { normalizeSubject, subjectTicketNumbers, ticketReference } from './steps/threading.js';

export interface PipelineServer {
  id: string;
  email: string;
  filterType: FilterType | null;
  filterEmails: string[];
  filterDomains: string[];
  filterKeywords: string[];
  technicianGroupId: string | null;
  categoryId: string | null;
  companyId: string | null;
}

export interface PipelinePreference {
  emailToTicket: boolean;
  duplicateWindowMinutes: number;
  perSenderHourlyCap: number;
  /** A reply to a ticket closed longer ago than this opens a new ticket linked to it. */
  reopenWindowDays: number;
}

export interface PipelineLookups {
  /** Which of these addresses (lower-cased) are incoming servers' (enabled or not). */
  ourAddresses(addresses: string[]): Promise<ReadonlySet<string>>;
  /** The domain of Message-IDs Mailroom generates (one only Mailroom uses). */
  ourMessageIdDomain: string;
  /** The X-Loop value Mailroom sends. */
  ourLoopValue: string;
  ticketByNumber(n: number): Promise<LifecycleTicket | null>;
  /** Tickets having a stored message (inbound, or our acknowledgment or reply) with one of these Message-IDs (bare, lower-case, no <>). */
  ticketsByMessageIds(ids: string[]): Promise<LifecycleTicket[]>;
  /** The newest ticket opened as a follow-up of this one (a late reply to it), if any. */
  followUpOf(ticketId: string): Promise<LifecycleTicket | null>;
  isParticipant(ticketId: string, address: string): Promise<boolean>;
  /** A message with this Message-ID (null: one without) and this content fingerprint received since `since`, any mailbox. */
  duplicateOf(messageId: string | null, contentHash: string, since: Date): Promise<{ ticketId: string | null } | null>;
  ticketsFromSenderSince(address: string, since: Date): Promise<number>;
  /** Enabled rules ordered by position. */
  rules(): Promise<RuleRow[]>;
}

export type TicketRoute = Route;

export type Decision =
  | { outcome: 'EMAIL_TO_TICKET_DISABLED'; reason: string }
  | { outcome: 'AUTO_REPLY' | 'LOOP_SUSPECTED'; reason: string }
  /** A message without a sender address that is not an auto-reply/bounce either: kept for an admin. */
  | { outcome: 'QUARANTINED'; reason: string }
  | { outcome: 'FILTERED'; reason: string }
  | { outcome: 'DUPLICATE'; reason: string; ticketId: string | null }
  /** `reopen`: the reply sets the ticket back to OPEN (it was PENDING, RESOLVED, or recently CLOSED). */
  | { outcome: 'APPENDED'; reason: string; ticketId: string; appendText: string; reopen: boolean }
  | {
      outcome: 'TICKET_CREATED';
      reason: string;
      route: TicketRoute;
      /** A late reply to this long-closed ticket opened the new one. */
      previousTicketId: string | null;
      matchedRules: { id: string; name: string }[];
      /** False for mail that must get no acknowledgment (mailing lists, no-reply senders…); `acknowledgeNote` says why. */
      acknowledge: boolean;
      acknowledgeNote: string | null;
    };

export type StepName = 'preference' | 'loop' | 'auto-reply' | 'sender' | 'sender-cap' | 'filter' | 'duplicate' | 'threading' | 'rules';
export const STEP_ORDER: readonly StepName[] = ['preference', 'loop', 'auto-reply', 'sender', 'sender-cap', 'filter', 'duplicate', 'threading', 'rules'];

export interface TraceStep {
  step: StepName;
  /** passed: looked and let the message through; decided: this step gave the outcome; applied: it shaped the result; not-reached. */
  result: 'passed' | 'decided' | 'applied' | 'not-reached';
  detail: string;
}

export type DecisionWithTrace = Decision & { trace: TraceStep[]; fingerprint: string };

/**
 * SPEC §4 steps 1 and 4–8 for one parsed message (limits and parsing, steps 2–3, come before).
 * Pure apart from the lookups: it changes nothing, so the dry run calls it as ingestion does.
 * The trace names every step, what it concluded, and the filter entry / header / rule involved.
 */
export async function decide(
  msg: ParsedMessage,
  server: PipelineServer,
  pref: PipelinePreference,
  lookups: PipelineLookups,
  now: Date,
  /** Computed with the parse when it ran in the parser pool. */
  fingerprint = contentFingerprint(msg),
): Promise<DecisionWithTrace> {
  const trace: TraceStep[] = [];
  const done = (decision: Decision, at: StepName): DecisionWithTrace => {
    for (const step of STEP_ORDER.slice(STEP_ORDER.indexOf(at) + 1)) trace.push({ step, result: 'not-reached', detail: `decided at ${at}` });
    return { ...decision, trace, fingerprint };
  };
  const pass = (step: StepName, detail: string) => trace.push({ step, result: 'passed', detail });
  const decided = (step: StepName, detail: string) => trace.push({ step, result: 'decided', detail });

  // 1. Email to Ticket
  if (!pref.emailToTicket) {
    const reason = 'Email to Ticket is turned off in the email preference';
    decided('preference', reason);
    return done({ outcome: 'EMAIL_TO_TICKET_DISABLED', reason }, 'preference');
  }
  pass('preference', 'Email to Ticket is on');

  // 4. Loop and auto-reply protection. Our own mail first: an acknowledgment coming back also
  // carries Auto-Submitted, and "that is ours" is the more useful reason.
  const own = detectOwnMail(msg, {
    addresses: await lookups.ourAddresses(addressesToCheck(msg)),
    messageIdDomain: lookups.ourMessageIdDomain,
    loopValue: lookups.ourLoopValue,
  });
  if (own) {
    decided('loop', own.reason);
    return done({ outcome: 'LOOP_SUSPECTED', reason: own.reason }, 'loop');
  }
  pass('loop', 'not sent by Mailroom nor from one of its mailboxes');

  const automated = detectAutomated(msg);
  if (automated) {
    decided('auto-reply', automated.reason);
    return done({ outcome: 'AUTO_REPLY', reason: automated.reason }, 'auto-reply');
  }
  pass('auto-reply', 'no auto-reply, bounce or report header, sender or subject');

  const from = msg.from;
  if (!from) {
    const reason = 'no sender address (From) in the message';
    decided('sender', reason);
    return done({ outcome: 'QUARANTINED', reason }, 'sender');
  }
  pass('sender', `sender ${from.address}${msg.senderNote ? ` (${msg.senderNote})` : ''}`);

  const cap = await checkSenderCap(from.address, pref.perSenderHourlyCap, now, (a, since) => lookups.ticketsFromSenderSince(a, since));
  if (cap.exceeded) {
    decided('sender-cap', cap.reason);
    return done({ outcome: 'LOOP_SUSPECTED', reason: cap.reason }, 'sender-cap');
  }
  pass('sender-cap', cap.reason);

  // 5. Server filter
  const filter = applyFilter(server, msg);
  if (!filter.accepted) {
    decided('filter', filter.reason);
    return done({ outcome: 'FILTERED', reason: filter.reason }, 'filter');
  }
  pass('filter', filter.reason);

  // 6. Duplicates
  const dup = await checkDuplicate(msg, fingerprint, pref.duplicateWindowMinutes, now, lookups);
  if (dup.duplicate) {
    decided('duplicate', dup.reason);
    return done({ outcome: 'DUPLICATE', reason: dup.reason, ticketId: dup.ticketId }, 'duplicate');
  }
  pass('duplicate', dup.reason);

  // 7. Threading, and the requester's side of the status lifecycle
  const thread = await findThread(msg, lookups);
  let previousTicketId: string | null = null;
  if (thread.kind === 'append') {
    const target = await chooseReplyTarget(thread.matches, (id) => lookups.followUpOf(id), now, pref.reopenWindowDays);
    if (target.kind === 'append') {
      const reason = `reply to ${ticketReference(target.ticket.number)} by participant ${from.address} (matched by ${target.via})${target.reopen ? `; re-opens it (it was ${target.ticket.status})` : ''}`;
      decided('threading', reason);
      const trimmed = trimReply(msg.text);
      return done({ outcome: 'APPENDED', reason, ticketId: target.ticket.id, appendText: trimmed || msg.text.trim(), reopen: target.reopen }, 'threading');
    }
    previousTicketId = target.of.id;
    pass('threading', `reply to ${ticketReference(target.of.number)} by participant ${from.address} (matched by ${target.via}), closed more than ${pref.reopenWindowDays} days ago: new ticket linked to it`);
  } else {
    pass('threading', thread.kind === 'stranger'
      ? `${thread.tickets.map((t) => ticketReference(t.number)).join(', ')} referenced (${thread.via}), but ${from.address} takes part in none: new ticket`
      : 'no ticket reference in the subject and no known In-Reply-To/References: new ticket');
  }

  // 8. Rules, then the server's defaults
  const run = evaluateRules(await lookups.rules(), ruleSubjectOf(msg, server.email));
  const defaults: Route = { technicianGroupId: server.technicianGroupId, categoryId: server.categoryId, companyId: server.companyId, requestTypeId: null, priorityId: null };
  const route = { ...defaults } as Route;
  for (const f of ROUTE_FIELDS) if (run.set[f] !== undefined) route[f] = run.set[f]!;
  trace.push({
    step: 'rules',
    result: run.matched.length > 0 ? 'applied' : 'passed',
    detail: run.log.length ? run.log.join('; ') : 'no enabled rules',
  });

  const ack = acknowledgmentSuppressed(msg);
  const routedBy = ROUTE_FIELDS.filter((f) => run.setBy[f]).map((f) => `rule "${run.setBy[f]!.name}" set ${actionLabel(f)}`);
  const routed = routedBy.length ? routedBy.join('; ') : 'routed to the server defaults';
  const reason = previousTicketId ? `follow-up of a long-closed ticket; ${routed}` : routed;
  return { outcome: 'TICKET_CREATED', reason, route, previousTicketId, matchedRules: run.matched, acknowledge: ack === null, acknowledgeNote: ack, trace, fingerprint };
}
