import type { Logger } from '../../lib/logger.js';

/**
 * Servers whose IDLE pushes new mail as it is delivered, by the name they give in ID: Dovecot
 * (inotify, or its own rescan every 30 s where the file system has none) and Gmail. Other servers
 * are not trusted by name: Courier without FAM and Cyrus without idled look for new mail during
 * IDLE only once a minute, GNU Mailutils never. (imapflow keys its own server quirks on the same
 * ID name.)
 */
const PUSHING_SERVERS = new Set(['dovecot', 'gimap']);

/** Quiet checks in a row that must find mail IDLE did not announce before a server is no longer trusted. */
export const MISSES_TO_DISTRUST = 2;

export function pushesByName(name: unknown): boolean {
  return typeof name === 'string' && PUSHING_SERVERS.has(name.trim().toLowerCase());
}

/**
 * Whether a mailbox's IDLE can be relied on to push new mail, which decides how often it is
 * checked besides (check-interval.ts): true for a server known to push (PUSHING_SERVERS), false
 * once quiet checks found mail IDLE had not announced MISSES_TO_DISTRUST times in a row (kept in
 * the mailbox's health, so a restart does not trust it again), null (unknown) otherwise. Evidence
 * only ever takes trust away: a slow pusher would otherwise look like a pusher to a check that
 * runs less often than it rescans.
 */
export class IdlePush {
  private misses = 0;

  constructor(private state: boolean | null, private readonly log: Logger) {}

  get pushes(): boolean | null {
    return this.state;
  }

  /**
   * A session logged in to a server that called itself `name`; returns the new state when it
   * changed. Asked on every session: a mailbox moved to another server is judged by that one.
   */
  identified(name: unknown): true | null | undefined {
    if (this.state === false) return undefined;
    const state = pushesByName(name) ? true : null;
    if (state === this.state) return undefined;
    this.state = state;
    return state;
  }

  /** An IDLE announcement brought new mail: the misses so far were races with the push. */
  announced(): void {
    this.misses = 0;
  }

  /** A quiet check found new mail that IDLE had not announced; returns false when trust is lost now. */
  missed(): false | undefined {
    if (this.state !== true) return undefined;
    if (++this.misses < MISSES_TO_DISTRUST) return undefined;
    this.state = false;
    this.log.warn({ misses: this.misses }, 'IDLE did not announce new mail that a check found; checking this mailbox every 15 s from now on');
    return false;
  }
}
