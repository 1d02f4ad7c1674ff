import type { SessionRecord } from './session-record.js';
import type { UserSession } from './user-session.js';

/** The options that decide how long a session lives (see `maxAge`, `idleTimeout`, `activityInterval`). */
export interface SessionLifetimeRules {
  maxAge: number;
  idleTimeout: number;
  activityInterval: number;
}

/**
 * The expiry rules, in one place: when a session expires, whether a row is still valid, when
 * its activity is due to be written, and how long its cookie lives.
 *
 * Why the idle timeout lives in `expire_date` rather than in a check of `last_activity`: every
 * query that decides validity (the request's SELECT, the lists, "end all others", the cleanup)
 * already compares `expire_date` with the clock, on an index, in every storage; and the activity
 * update that moves it is one the request path makes anyway (once per `activityInterval`).
 */
export class SessionLifetime {
  constructor(private readonly rules: SessionLifetimeRules) {}

  /** With `idleTimeout`, every write sets the expiry and `setExpiry()` is not available. */
  get slidingExpiry(): boolean {
    return this.rules.idleTimeout > 0;
  }

  /**
   * The expiry a session created (or signed in) at `createdAt` gets from a write at `now`:
   * `createdAt + maxAge`; with `idleTimeout`, no later than `now + idleTimeout`.
   */
  expiryAt(createdAt: Date, now: Date): Date {
    const deadline = createdAt.getTime() + this.rules.maxAge;
    const idle = this.rules.idleTimeout;
    return new Date(idle > 0 ? Math.min(deadline, now.getTime() + idle) : deadline);
  }

  /** The expiry an activity update at `now` writes: moved with `idleTimeout`, else undefined (left as it is). */
  activityExpiry(session: Pick<UserSession, 'createdAt'>, now: Date): Date | undefined {
    return this.rules.idleTimeout > 0 ? this.expiryAt(session.createdAt, now) : undefined;
  }

  /**
   * Whether a row (or a session as the lists give it) is still valid: before its expiry and,
   * with `idleTimeout`, used within it.
   */
  isActive(row: Pick<SessionRecord, 'expireDate' | 'lastActivity'>, now: Date = new Date()): boolean {
    const { idleTimeout } = this.rules;
    return (
      row.expireDate.getTime() > now.getTime() &&
      // Implied by the expiry for every row written with idleTimeout on; this catches rows
      // written before it was turned on, and imported ones, until their next write.
      (idleTimeout === 0 || row.lastActivity.getTime() + idleTimeout > now.getTime())
    );
  }

  /** Whether a stored session's client changed or its last activity is older than `activityInterval`. */
  activityIsDue(session: UserSession): boolean {
    const stored = session.stored;
    return stored !== null && (session.clientChanged || Date.now() - stored.lastActivity.getTime() >= this.rules.activityInterval);
  }

  /**
   * When the cookie should expire (epoch ms): the session's expiry, but with `idleTimeout` the
   * absolute deadline, since the expiry then moves with activity updates that send no cookie.
   * The server enforces both either way; the cookie's Max-Age only lets the browser forget.
   */
  cookieExpiry(session: Pick<UserSession, 'createdAt' | 'expireDate'>): number {
    return this.rules.idleTimeout > 0 ? session.createdAt.getTime() + this.rules.maxAge : session.expireDate.getTime();
  }
}
