import { Logger } from '@nestjs/common';
import { In, LessThan, type Repository } from 'typeorm';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../user-sessions.constants.js';
import type { UserId } from '../session/user-id.js';
import type { ExpiredSession } from '../storage/session-storage.interface.js';
import type { EndedClient, SessionsEndedRecord, UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import { SecurityActivityRecord } from '../session/security-activity.entity.js';
import { decodeActivityCursor, encodeActivityCursor } from './activity-cursor.js';
import type { NewSecurityActivity, SecurityActivityEntry, SecurityActivityKind, SecurityActivityPage } from './security-activity.types.js';

const DAY = 24 * 60 * 60 * 1000;
const PURGE_BATCH = 1000;

/**
 * The security activity history (`activityHistoryDays`): one INSERT when something happens to
 * an account (a sign-in, an end, an answer, a risk signal), never on a read; a user's page is
 * one indexed SELECT; the cleanup deletes what is older than the window. Recording never fails
 * what it records: an INSERT that fails is logged.
 */
export class SecurityActivityService {
  private readonly logger = new Logger('UserSessions');

  constructor(
    /** Null without a TypeORM data source: the history is off. */
    private readonly repository: Repository<SecurityActivityRecord> | null,
    /** `activityHistoryDays`; 0 is off. */
    readonly days: number,
    /** Where ends are heard; null for the command line, which ends nothing but expired sessions. */
    events: Pick<UserSessionsEventsPublisher, 'recordEndsWith'> | null,
    /** Runs each statement under the session storage's rules (`storageTimeout`, 503 when down). */
    private readonly run: <T>(action: () => Promise<T>) => Promise<T> = (action) => action(),
  ) {
    if (this.enabled) events?.recordEndsWith((ended, client) => this.recordEnd(ended, client));
  }

  /** Whether a history is kept. */
  get enabled(): boolean {
    return this.repository !== null && this.days > 0;
  }

  /** Records entries (one INSERT); nothing when the history is off. Never rejects. */
  async record(entries: NewSecurityActivity | NewSecurityActivity[]): Promise<void> {
    const list = Array.isArray(entries) ? entries : [entries];
    if (!this.enabled || list.length === 0) return;
    try {
      const repository = this.repository!;
      await this.run(() => repository.insert(
        list.map((entry) => ({
          userId: entry.userId,
          kind: entry.kind,
          at: entry.at,
          sessionId: entry.sessionId ?? null,
          deviceId: entry.deviceId ?? null,
          ip: entry.ip ?? null,
          userAgent: entry.userAgent ?? null,
          details: entry.details ? JSON.stringify(entry.details) : null,
        })),
      ));
    } catch (error) {
      this.logger.error(`Security activity (${list.map((entry) => entry.kind).join(', ')}) could not be recorded: ${(error as Error)?.message ?? error}`);
    }
  }

  /**
   * Records the signed-in sessions the cleanup deleted as ended by expiry, at the cleanup's
   * time (the history is in the order things were recorded), with when each expired.
   */
  recordExpired(sessions: ExpiredSession[]): Promise<void> {
    const now = new Date();
    const since = now.getTime() - this.days * DAY;
    return this.record(
      sessions
        // An expiry older than the window would be purged at once.
        .filter((session) => session.expireDate.getTime() > since)
        .map((session) => ({
          userId: session.userId,
          kind: 'session-ended' as const,
          at: now,
          sessionId: session.id,
          ip: session.ip,
          userAgent: session.userAgent,
          details: { endedBy: 'expiry', expiredAt: session.expireDate.toISOString() },
        })),
    );
  }

  /**
   * A page of the user's history within the window, newest first: one SELECT on the
   * `(user_id, id)` index. Throws a RangeError for a bad `limit` or `cursor`.
   */
  async list(userId: UserId, options: { limit?: number; cursor?: string | null } = {}): Promise<SecurityActivityPage> {
    const { limit = DEFAULT_LIST_LIMIT, cursor } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
    }
    const before = cursor === undefined || cursor === null ? null : decodeActivityCursor(cursor);
    if (before === null && cursor !== undefined && cursor !== null) {
      throw new RangeError('cursor must be the nextCursor of a page of the activity history');
    }
    if (!this.enabled) return { entries: [], nextCursor: null };
    const query = this.repository!
      .createQueryBuilder('entry')
      .where('entry.userId = :userId', { userId })
      .andWhere('entry.at > :since', { since: new Date(Date.now() - this.days * DAY) })
      .orderBy('entry.id', 'DESC')
      .take(limit + 1);
    if (before !== null) query.andWhere('entry.id < :before', { before });
    const rows = await this.run(() => query.getMany());
    const entries = rows.slice(0, limit).map(entryOf);
    return { entries, nextCursor: rows.length > limit ? encodeActivityCursor(rows[limit - 1].id) : null };
  }

  /**
   * Deletes entries older than the window (the cleanup), 1000 per statement (a SELECT of their
   * ids, then a DELETE), without the storage's time limit, like the session cleanup; returns
   * how many.
   */
  async purge(now: Date = new Date(), signal?: AbortSignal): Promise<number> {
    if (!this.enabled) return 0;
    const repository = this.repository!;
    const cutoff = new Date(now.getTime() - this.days * DAY);
    let purged = 0;
    while (!signal?.aborted) {
      const rows = await repository.find({ select: { id: true }, where: { at: LessThan(cutoff) }, order: { id: 'ASC' }, take: PURGE_BATCH });
      if (rows.length === 0) break;
      purged += (await repository.delete({ id: In(rows.map((row) => row.id)) })).affected ?? rows.length;
      if (rows.length < PURGE_BATCH) break;
    }
    return purged;
  }

  /** Deletes a user's whole history (their account is deleted, say); returns how many entries. */
  async deleteForUser(userId: UserId): Promise<number> {
    const repository = this.repository;
    if (repository === null) return 0;
    const result = await this.run(() => repository.delete({ userId }));
    return result.affected ?? 0;
  }

  private recordEnd(ended: SessionsEndedRecord, client: EndedClient | null): Promise<void> {
    if (ended.scope === 'expired' || ended.userId === null) return Promise.resolve();
    const details: Record<string, unknown> = { endedBy: ended.endedBy };
    if (ended.actor?.sessionId) details.actorSessionId = ended.actor.sessionId;
    if (ended.reason) details.reason = ended.reason;
    let kind: SecurityActivityKind;
    if (ended.scope === 'session') {
      kind = ended.endedBy === 'self' ? 'signed-out' : 'session-ended';
    } else {
      kind = ended.scope === 'others' ? 'other-sessions-ended' : 'all-sessions-ended';
      details.count = ended.count;
    }
    return this.record({ userId: ended.userId, kind, at: ended.at, sessionId: ended.sessionId ?? ended.keptSessionId, ...client, details });
  }
}

function entryOf(row: SecurityActivityRecord): SecurityActivityEntry {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = row.details === null ? {} : JSON.parse(row.details);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) details = parsed as Record<string, unknown>;
  } catch {
    // An entry whose details cannot be read still says what happened and when.
  }
  return {
    id: String(row.id),
    kind: row.kind as SecurityActivityKind,
    at: row.at,
    sessionId: row.sessionId,
    deviceId: row.deviceId,
    ip: row.ip,
    userAgent: row.userAgent,
    details,
  };
}
