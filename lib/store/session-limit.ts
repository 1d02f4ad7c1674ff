import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import type { GuardedSessionStorage } from '../storage/guarded-session.storage.js';
import type { SessionRecord } from '../session/session-record.js';
import type { SessionLifetime } from '../session/session-lifetime.js';
import type { UserId } from '../session/user-id.js';
import type { UserSession } from '../session/user-session.js';
import type { SessionDetailsService } from '../details/session-details.service.js';
import type { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import { SessionLimitReachedException } from '../exceptions/session-limit-reached.exception.js';

/**
 * The `maxSessionsPerUser` option at sign-in: one indexed SELECT of the user's sessions when it
 * is set, nothing otherwise. `'refuse'` checks before the sign-in and throws
 * `SessionLimitReachedException`; `'end-least-recent'` lets the sign-in happen, then ends the
 * least recently active of the others beyond the limit (which also settles two sign-ins that
 * raced past it).
 */
export class SessionLimit {
  constructor(
    private readonly options: Pick<ResolvedUserSessionsOptions, 'maxSessionsPerUser' | 'sessionLimitStrategy'>,
    private readonly storage: GuardedSessionStorage,
    private readonly lifetime: SessionLifetime,
    private readonly details: SessionDetailsService,
    private readonly events: UserSessionsEventsPublisher,
  ) {}

  /** Before `session` signs `userId` in: refuses when the user's other sessions fill the limit. */
  async checkBefore(session: UserSession, userId: UserId): Promise<void> {
    const max = this.options.maxSessionsPerUser;
    if (max === undefined || this.options.sessionLimitStrategy !== 'refuse') return;
    const others = await this.othersOf(session, userId);
    if (others.length < max) return;
    throw new SessionLimitReachedException(
      max,
      others.map((record) => ({ id: record.id, ...this.details.describe(record), lastActivity: record.lastActivity.toISOString() })),
    );
  }

  /** After `session` signed `userId` in: ends the least recently active others beyond the limit. */
  async enforceAfter(session: UserSession, userId: UserId): Promise<void> {
    const max = this.options.maxSessionsPerUser;
    if (max === undefined || this.options.sessionLimitStrategy !== 'end-least-recent') return;
    const others = await this.othersOf(session, userId);
    // The new session counts as one: the others keep max - 1 places, most recent first.
    for (const record of others.slice(max - 1)) {
      if (await this.storage.delete({ id: record.id, userId })) {
        await this.events.ended('session', { endedBy: 'session-limit', actor: session }, 'session-limit', { sessionId: record.id, userId, count: 1 });
      }
    }
  }

  /** The user's unexpired sessions but `session`, most recent activity first. */
  private async othersOf(session: UserSession, userId: UserId): Promise<SessionRecord[]> {
    const now = new Date();
    const records = await this.storage.listActive(userId, now);
    return records
      .filter((record) => record.id !== session.id && this.lifetime.isActive(record, now))
      .sort((a, b) => b.lastActivity.getTime() - a.lastActivity.getTime());
  }
}
