import { eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailPreference, technicianGroupMembers, tickets } from '../../db/schema.js';
import { NotAllowedError, NotFoundError } from '../../lib/errors.js';
import type { Viewer } from '../auth/auth.service.js';

/**
 * Everything (admins, or scoping off), or only the tickets of these groups and those assigned to
 * this user; `memberOf`: the user's groups either way (what they may change).
 */
export type TicketScope = ({ all: true } | { all: false; groupIds: string[] }) & { userId: string; admin: boolean; memberOf: string[] };

const scopingOn = sql<boolean>`coalesce(
  (select ${emailPreference.technicianGroupScoping} from ${emailPreference} where ${emailPreference.id} = 1),
  exists (select 1 from ${technicianGroupMembers})
)`;

type Reachable = Pick<typeof tickets.$inferSelect, 'technicianGroupId' | 'assigneeId'>;

/** Super Admins and channel managers see and change every ticket. */
export const isTicketAdmin = (viewer: Viewer) => viewer.user.isSuperAdmin || viewer.canManageSupportChannels;

/**
 * SPEC §10 visibility, for every path that reaches a ticket (queries, search, subscriptions,
 * downloads, notifications). With group scoping on, a technician reaches a ticket only when it is
 * in one of their groups or assigned to them; a ticket out of reach is answered like one that
 * doesn't exist. Changing a ticket needs more: a technician in some groups works the tickets of
 * those groups, those assigned to them and those not routed to any group yet; a technician in no
 * group works every ticket they can see.
 */
export class TicketAccess {
  // A viewer object lives for one HTTP request or one WebSocket operation: its scope is read once
  // per request, and again after a few seconds for the operations that last (subscriptions).
  private readonly scopes = new WeakMap<Viewer, { at: number; scope: Promise<TicketScope> }>();

  constructor(private readonly db: Db, private readonly maxAgeMs = 2000) {}

  /** `fresh`: read memberships and the switch again now. */
  scope(viewer: Viewer, fresh = false): Promise<TicketScope> {
    const cached = this.scopes.get(viewer);
    if (!fresh && cached && Date.now() - cached.at < this.maxAgeMs) return cached.scope;
    const scope = this.readScope(viewer);
    this.scopes.set(viewer, { at: Date.now(), scope });
    return scope;
  }

  /** A technician's groups and the switch in one statement: every page of tickets reads them. */
  private async readScope(viewer: Viewer): Promise<TicketScope> {
    const userId = viewer.user.id;
    if (isTicketAdmin(viewer)) return { all: true, userId, admin: true, memberOf: [] };
    const groups = this.db.select({ groupId: technicianGroupMembers.groupId }).from(technicianGroupMembers).where(eq(technicianGroupMembers.userId, userId));
    const [row] = await this.db.select({ memberOf: sql<string[]>`array(${groups})::text[]`, scoping: scopingOn }).from(sql`(values (1)) as one`);
    const memberOf = row!.memberOf;
    return row!.scoping ? { all: false, userId, admin: false, memberOf, groupIds: memberOf } : { all: true, userId, admin: false, memberOf };
  }

  async groupsOf(userId: string): Promise<string[]> {
    const rows = await this.db.select({ groupId: technicianGroupMembers.groupId }).from(technicianGroupMembers).where(eq(technicianGroupMembers.userId, userId));
    return rows.map((r) => r.groupId);
  }

  /** The email preference's switch; automatic (null, or no preference saved yet) means on once any group has a member. */
  async scopingOn(): Promise<boolean> {
    const [row] = await this.db.select({ on: scopingOn }).from(sql`(values (1)) as one`);
    return row!.on;
  }

  /** The WHERE condition of the tickets in scope; undefined when all are. */
  condition(scope: TicketScope): SQL | undefined {
    if (scope.all) return undefined;
    const assigned = eq(tickets.assigneeId, scope.userId);
    return scope.groupIds.length ? or(inArray(tickets.technicianGroupId, scope.groupIds), assigned) : assigned;
  }

  inScope(scope: TicketScope, ticket: Reachable): boolean {
    if (scope.all) return true;
    return ticket.assigneeId === scope.userId || (ticket.technicianGroupId !== null && scope.groupIds.includes(ticket.technicianGroupId));
  }

  async canSee(viewer: Viewer, ticket: Reachable, fresh = false): Promise<boolean> {
    return this.inScope(await this.scope(viewer, fresh), ticket);
  }

  /** Null when the viewer may change the ticket; otherwise the error to return. */
  async changeRefusal(viewer: Viewer, ticket: Reachable): Promise<NotFoundError | NotAllowedError | null> {
    const scope = await this.scope(viewer);
    if (!this.inScope(scope, ticket)) return new NotFoundError('No such ticket');
    if (scope.admin) return null;
    const groups = scope.memberOf;
    if (!groups.length || ticket.technicianGroupId === null || ticket.assigneeId === viewer.user.id || groups.includes(ticket.technicianGroupId)) return null;
    return new NotAllowedError('This ticket belongs to a technician group you are not in');
  }
}
