import type { PlatformHints } from './client.js';
import { clientOf, type SessionKeyColumns, type SessionRecord } from './session-record.js';
import type { SessionLifetime } from './session-lifetime.js';
import { UserSession } from './user-session.js';

/** The client a session is used from now: what the request (or the app) says, after the privacy options. */
export interface SeenClient {
  ip: string | null;
  userAgent: string | null;
  /** The platform hints the request sent, or null when it sent none. */
  hints: PlatformHints | null;
}

/** The one mapper between rows and sessions, both ways. */
export class SessionMapper {
  constructor(private readonly lifetime: SessionLifetime) {}

  /** A new, empty session, not stored until something modifies it. */
  newSession(client: SeenClient): UserSession {
    const now = new Date();
    return new UserSession({
      key: null,
      keyDigest: null,
      id: null,
      userId: null,
      data: {},
      expireDate: this.lifetime.expiryAt(now, now),
      ip: client.ip,
      userAgent: client.userAgent,
      clientPlatform: client.hints?.platform ?? null,
      clientPlatformVersion: client.hints?.platformVersion ?? null,
      lastActivity: now,
      createdAt: now,
      keyIssuedAt: now,
      stored: null,
      slidingExpiry: this.lifetime.slidingExpiry,
    });
  }

  /** The session of a row, used now from `client` (its key, when known, is what the cookie carries). */
  fromRecord(record: SessionRecord, key: string | null, client: SeenClient): UserSession {
    const { hints } = client;
    return new UserSession({
      key,
      keyDigest: record.keyDigest,
      id: record.id,
      userId: record.userId,
      // Parsed on first use: a request that only asks who is signed in never reads the JSON.
      data: record.data,
      expireDate: record.expireDate,
      ip: client.ip,
      userAgent: client.userAgent,
      // A request without hints (Firefox, Safari, plain HTTP) keeps the ones recorded before.
      clientPlatform: hints ? hints.platform : record.clientPlatform,
      clientPlatformVersion: hints ? hints.platformVersion : record.clientPlatformVersion,
      lastActivity: record.lastActivity,
      createdAt: record.createdAt,
      keyIssuedAt: record.keyIssuedAt,
      // The record has the stored state's fields (and is never changed: a write replaces it).
      stored: record,
      slidingExpiry: this.lifetime.slidingExpiry,
    });
  }

  /** The client a row was last seen from, for a session loaded outside a request. */
  recordedClient(record: SessionRecord): SeenClient {
    return { ip: record.ip, userAgent: record.userAgent, hints: null };
  }

  /**
   * The whole row of a stored session (it has its key and id), written at `now` with this data
   * JSON; no previous key: a session is inserted, or signed in, with a fresh key.
   */
  toRecord(session: UserSession, now: Date, data: string): SessionRecord {
    return {
      keyDigest: session.keyDigest!,
      id: session.id!,
      previousKeyDigest: null,
      keySeal: null,
      keyIssuedAt: session.keyIssuedAt,
      createdAt: session.createdAt,
      ...this.toChanges(session, now, data),
    };
  }

  /** What a save writes over a stored row at `now`: every column but the key columns, the id and `createdAt`. */
  toChanges(session: UserSession, now: Date, data: string): Omit<SessionRecord, keyof SessionKeyColumns | 'id' | 'createdAt'> {
    return {
      data,
      userId: session.userId,
      expireDate: session.expireDate,
      ...clientOf(session),
      // A request with the previous key records no activity (see `cameWithPreviousKey`).
      lastActivity: session.cameWithPreviousKey ? session.lastActivity : now,
    };
  }
}
