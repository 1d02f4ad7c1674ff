import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import type { GuardedSessionStorage } from '../storage/guarded-session.storage.js';
import type { SessionKeyColumns, SessionRecord, SessionRecordChanges } from '../session/session-record.js';
import type { SessionLifetime } from '../session/session-lifetime.js';
import type { SeenClient, SessionMapper } from '../session/session-mapper.js';
import type { UserSession } from '../session/user-session.js';
import { digestSessionKey, generateSessionKey, openRotatedKey, sealRotatedKey } from '../session/session-key.js';
import type { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';

/** The current key of a rotated row, opened from its seal with the key it replaced; null when that is not the replaced key. */
function currentKeyOf(record: SessionRecord, previousKey: string): string | null {
  const current = record.keySeal ? openRotatedKey(record.keySeal, previousKey) : null;
  return current !== null && digestSessionKey(current) === record.keyDigest ? current : null;
}

/** A new key for a session, and the key columns that store it. */
export interface KeyChange {
  key: string;
  columns: SessionKeyColumns;
}

/**
 * Key rotation and stolen-cookie detection (the `rotationInterval` option), after refresh-token
 * rotation in SuperTokens, Auth0 and Supabase:
 * - a signed-in session's key is replaced at most once per `rotationInterval`, by the activity
 *   write that is due anyway (the new key's digest, the old one's, and the new key sealed under
 *   the old: columns of that one UPDATE);
 * - the replaced key still finds the session while it can be a request in flight or a browser
 *   that never got the new cookie: within `rotationGrace` of the rotation, or while the new key
 *   has recorded no activity. Such a request is served and given the current key again;
 * - past that, the replaced key is a copy used on another device: the session is ended, and
 *   `user-sessions.theft-suspected` names both devices.
 * Only a key one rotation old is recognised; an older one finds nothing, like any unknown key.
 * @internal
 */
export class KeyRotation {
  constructor(
    private readonly options: Pick<ResolvedUserSessionsOptions, 'rotationInterval' | 'rotationGrace'>,
    private readonly storage: GuardedSessionStorage,
    private readonly lifetime: SessionLifetime,
    private readonly mapper: SessionMapper,
    private readonly events: UserSessionsEventsPublisher,
  ) {}

  /** Whether `rotationInterval` is on. */
  get enabled(): boolean {
    return this.options.rotationInterval > 0;
  }

  /** The new key of an activity write at `now`, when the session's key is due to be replaced; else null. */
  due(session: UserSession, now: Date): KeyChange | null {
    const key = session.key;
    if (!this.enabled || key === null || !session.isAuthenticated || session.cameWithPreviousKey) return null;
    if (now.getTime() - session.keyIssuedAt.getTime() < this.options.rotationInterval) return null;
    const next = generateSessionKey();
    return {
      key: next,
      columns: { keyDigest: digestSessionKey(next), previousKeyDigest: session.keyDigest, keySeal: sealRotatedKey(next, key), keyIssuedAt: now },
    };
  }

  /**
   * Updates the session's row. When its key was replaced meanwhile by a concurrent request's
   * rotation, the update follows it (a second statement, only then), so that a write made by a
   * request in flight is never lost; the session then carries the current key.
   */
  async update(session: UserSession, changes: SessionRecordChanges): Promise<boolean> {
    if (await this.storage.update(session.keyDigest!, changes)) return true;
    const key = session.key;
    if (!this.enabled || key === null || !session.isAuthenticated) return false;
    const rotated = await this.storage.findByPreviousKey(session.keyDigest!);
    const current = rotated && currentKeyOf(rotated, key);
    if (!rotated || rotated.id !== session.id || !current) return false;
    if (!(await this.storage.update(rotated.keyDigest, changes))) return false;
    if (changes.keyDigest === undefined) session.setKey(current, rotated.keyDigest, rotated.keyIssuedAt);
    return true;
  }

  /**
   * The session whose last rotation replaced `key` (of digest `digest`), for a key the primary
   * key did not find: within the grace, the session with its current key (`cameWithPreviousKey`);
   * past it, `'ended'`: the session was ended as stolen. Null when there is none (or rotation is
   * off: no statement then). `client` is the request's, or null outside a request.
   */
  async findByPreviousKey(key: string, digest: string, client: SeenClient | null): Promise<UserSession | 'ended' | null> {
    if (!this.enabled) return null;
    const record = await this.storage.findByPreviousKey(digest);
    const now = new Date();
    if (!record || !this.lifetime.isActive(record, now)) return null;
    const current = currentKeyOf(record, key);
    if (current === null) return null;
    const issuedAt = record.keyIssuedAt.getTime();
    const inGrace = now.getTime() < issuedAt + this.options.rotationGrace;
    // The rotation's own write set last_activity to the key's time; only the new key moves it on.
    const newKeyUnused = record.lastActivity.getTime() <= issuedAt;
    if (inGrace || newKeyUnused) {
      const session = this.mapper.fromRecord(record, current, client ?? this.mapper.recordedClient(record));
      session.cameWithPreviousKey = true;
      session.cookieStale = true;
      return session;
    }
    const seen = client ?? { ip: null, userAgent: null, hints: null };
    if (await this.storage.delete(record)) {
      await this.events.ended('session', { endedBy: 'theft-suspected' }, 'theft-suspected', { sessionId: record.id, userId: record.userId, count: 1 });
      this.events.theftSuspected(record, seen, now);
    }
    return 'ended';
  }
}
