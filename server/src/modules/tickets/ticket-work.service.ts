import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db, Queryable } from '../../db/client.js';
import { categories, messages, technicianGroups, ticketViews, tickets, users, type TicketStatus } from '../../db/schema.js';
import { appendSearchText, searchPiece } from '../../db/search-text.js';
import { NotAllowedError, NotFoundError, ValidationError, type FieldError } from '../../lib/errors.js';
import type { PubSub } from '../../lib/pubsub.js';
import { storableText } from '../../lib/text.js';
import { isUuid } from '../../lib/uuid.js';
import type { Viewer } from '../auth/auth.service.js';
import type { TicketListService } from '../catalog/ticket-lists.service.js';
import { replyBody, type BodyFormat } from './reply-mail.js';
import { isTicketAdmin, type TicketAccess } from './ticket-access.js';
import { changedColumns, ticketChanges, type TicketPatch } from './ticket-changes.js';
import { recordChanges } from './ticket-history.js';
import { transitionError } from './ticket-status.js';
import type { MessageRow, TicketRow, TicketService } from './ticket.service.js';

/** updateTicket's input: ids, or for priority and request type also names (as integrators write them). */
export interface TicketUpdateInput extends TicketPatch {
  status?: TicketStatus;
  priority?: string | null;
  requestType?: string | null;
}

export type Refused = NotFoundError | NotAllowedError;

export const MAX_BODY = 200_000;

/** Changing a ticket: status, routing, assignment, notes, the unread marker. Every change is in its history. */
export class TicketWorkService {
  constructor(
    private readonly db: Db,
    private readonly tickets: TicketService,
    private readonly access: TicketAccess,
    private readonly lists: TicketListService,
    private readonly pubsub: PubSub,
  ) {}

  /** The ticket if the viewer may change it, else the error to return (NotFound for what they can't see). */
  async forChange(viewer: Viewer, ticketId: string): Promise<TicketRow | Refused> {
    const ticket = await this.tickets.get(ticketId);
    if (!ticket) return new NotFoundError('No such ticket');
    return (await this.access.changeRefusal(viewer, ticket)) ?? ticket;
  }

  async update(viewer: Viewer, ticketId: string, input: TicketUpdateInput): Promise<TicketRow | Refused | ValidationError> {
    const ticket = await this.forChange(viewer, ticketId);
    if (!('id' in ticket)) return ticket;
    const patch = await this.validate(viewer, ticket, input);
    if (patch instanceof ValidationError) return patch;
    const { row, changed } = await this.db.transaction(async (tx) => this.apply(tx, viewer, ticket.id, patch));
    if (changed) this.pubsub.publish('ticketUpdated', row.id);
    return row;
  }

  assignToMe(viewer: Viewer, ticketId: string) {
    return this.update(viewer, ticketId, { assigneeId: viewer.user.id });
  }

  /** Clears the unread marker for the viewer. */
  async markSeen(viewer: Viewer, ticketId: string): Promise<TicketRow | NotFoundError> {
    const ticket = await this.tickets.getVisible(viewer, ticketId);
    if (!ticket) return new NotFoundError('No such ticket');
    await markSeen(this.db, ticket.id, viewer.user.id);
    return ticket;
  }

  /** An internal note: part of the conversation and of search, never mailed. */
  async addNote(viewer: Viewer, ticketId: string, body: string, format: BodyFormat): Promise<MessageRow | Refused | ValidationError> {
    const ticket = await this.forChange(viewer, ticketId);
    if (!('id' in ticket)) return ticket;
    const problem = bodyProblem(body);
    if (problem) return ValidationError.of([{ path: ['body'], message: problem }]);
    const content = await replyBody(storableText(body), format);
    if (!content.text) return ValidationError.of([{ path: ['body'], message: 'Write something' }]);
    const id = randomUUID();
    const row = await this.db.transaction(async (tx) => {
      const [note] = await tx
        .insert(messages)
        .values({
          id, ticketId: ticket.id, sourceKey: `note:${id}`, direction: 'INTERNAL', kind: 'NOTE', authorUserId: viewer.user.id,
          contentHash: createHash('sha256').update(content.text).digest('hex'), fromAddress: viewer.user.email.toLowerCase(), fromName: viewer.user.name,
          bodyText: content.text, bodyHtml: format === 'HTML' ? content.html : null, rawSize: 0, raw: Buffer.alloc(0),
        })
        .returning();
      await touch(tx, ticket.id, content.text);
      await markSeen(tx, ticket.id, viewer.user.id);
      return note!;
    });
    this.pubsub.publish('ticketUpdated', ticket.id);
    const { raw: _raw, ...visible } = row;
    return visible;
  }

  /** Writes a validated patch; the caller's transaction may hold more (a reply). */
  async apply(tx: Queryable, viewer: Viewer, ticketId: string, patch: TicketPatch): Promise<{ row: TicketRow; changed: boolean }> {
    const [current] = await tx.select().from(tickets).where(eq(tickets.id, ticketId)).for('update');
    const changes = ticketChanges(current!, patch);
    const { searchText: _t, searchVector: _v, ...before } = current!;
    if (!changes.length) return { row: before, changed: false };
    const now = new Date();
    const [updated] = await tx.update(tickets).set({ ...changedColumns(changes, now), lastActivityAt: now, updatedAt: now }).where(eq(tickets.id, ticketId)).returning();
    await recordChanges(tx, ticketId, viewer.user.id, changes);
    const { searchText: _ut, searchVector: _uv, ...row } = updated!;
    return { row, changed: true };
  }

  /** The patch the input asks for, once every id exists and the viewer may set it; all field errors at once. */
  async validate(viewer: Viewer, ticket: TicketRow, input: TicketUpdateInput): Promise<TicketPatch | ValidationError> {
    const errors: FieldError[] = [];
    const patch: TicketPatch = {};
    const admin = isTicketAdmin(viewer);
    const mine = admin ? [] : await this.access.groupsOf(viewer.user.id);
    const fail = (field: string, message: string) => errors.push({ path: [field], message });

    if (input.status === null) fail('status', 'A ticket always has a status');
    else if (input.status !== undefined) {
      const refused = transitionError(ticket.status, input.status);
      if (refused) fail('status', refused);
      else patch.status = input.status;
    }

    if (input.technicianGroupId === null) {
      if (admin) patch.technicianGroupId = null;
      else fail('technicianGroupId', 'Only an admin can take a ticket out of every group');
    } else if (input.technicianGroupId !== undefined) {
      if (!(await exists(this.db, technicianGroups, input.technicianGroupId))) fail('technicianGroupId', 'No such technician group');
      else if (!admin && !mine.includes(input.technicianGroupId)) fail('technicianGroupId', 'You can move tickets only to your own groups');
      else patch.technicianGroupId = input.technicianGroupId;
    }

    if (input.assigneeId === null) patch.assigneeId = null;
    else if (input.assigneeId !== undefined) {
      const assignee = isUuid(input.assigneeId) ? (await this.db.select().from(users).where(eq(users.id, input.assigneeId)))[0] : undefined;
      if (!assignee) fail('assigneeId', 'No such user');
      else if (assignee.deactivatedAt) fail('assigneeId', `${assignee.name} is deactivated`);
      else if (!admin && assignee.id !== viewer.user.id && !(await this.access.groupsOf(assignee.id)).some((g) => mine.includes(g))) {
        fail('assigneeId', 'You can assign tickets only to yourself or to members of your groups');
      } else patch.assigneeId = assignee.id;
    }

    if (input.categoryId === null) patch.categoryId = null;
    else if (input.categoryId !== undefined) {
      if (await exists(this.db, categories, input.categoryId)) patch.categoryId = input.categoryId;
      else fail('categoryId', 'No such category');
    }

    for (const [list, idKey, nameKey, label] of [['priority', 'priorityId', 'priority', 'priority'], ['requestType', 'requestTypeId', 'requestType', 'request type']] as const) {
      const byId = input[idKey];
      const byName = input[nameKey];
      if (byId !== undefined && byName !== undefined) fail(nameKey, `Give ${idKey} or ${nameKey}, not both`);
      else if (byId === null || byName === null) patch[idKey] = null;
      else if (byId !== undefined || byName !== undefined) {
        const found = await this.lists.resolve(list, { id: byId, name: byName });
        if (found) patch[idKey] = found.id;
        else fail(byId !== undefined ? idKey : nameKey, `No such ${label}`);
      }
    }
    return errors.length ? ValidationError.of(errors) : patch;
  }
}

async function exists(q: Queryable, table: typeof technicianGroups | typeof categories, id: string): Promise<boolean> {
  return isUuid(id) && (await q.select({ id: table.id }).from(table).where(eq(table.id, id))).length > 0;
}

export function bodyProblem(body: string): string | null {
  if (!body.trim()) return 'Write something';
  if (body.length > MAX_BODY) return `At most ${MAX_BODY.toLocaleString('en')} characters`;
  return null;
}

/** Something was written on the ticket: its activity and its search text. */
export async function touch(q: Queryable, ticketId: string, text: string): Promise<void> {
  const now = new Date();
  await q.update(tickets).set({ lastActivityAt: now, updatedAt: now, searchText: appendSearchText(searchPiece(text)) }).where(eq(tickets.id, ticketId));
}

export async function markSeen(q: Queryable, ticketId: string, userId: string): Promise<void> {
  const now = new Date();
  await q.insert(ticketViews).values({ ticketId, userId, seenAt: now }).onConflictDoUpdate({ target: [ticketViews.ticketId, ticketViews.userId], set: { seenAt: now } });
}
