import { Logger } from '@nestjs/common';
import type { LegacyCookieOptions } from '../options/user-sessions-module-options.interface.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';
import type { GuardedSessionStorage } from '../storage/guarded-session.storage.js';
import { clientOf } from '../session/session-record.js';
import type { SessionLifetime } from '../session/session-lifetime.js';
import type { SeenClient, SessionMapper } from '../session/session-mapper.js';
import { digestLegacySessionId, digestSessionKey, generateSessionKey } from '../session/session-key.js';
import type { UserSession } from '../session/user-session.js';
import { unsignExpressSessionCookie } from './express-session-cookie.js';
import type { ExpressSessionTable } from './express-session-table.js';

/**
 * The move-over from express-session (the `legacyCookie` option; without it the module has no
 * instance, and the request path never looks at the old cookie): a request that carries the
 * old cookie of a session `importExpressSessions()` copied finds it once, under a new key of
 * ours (like `cycleKey()`: the old id is dead after it).
 */
export class LegacySessionMoveOver {
  private readonly logger = new Logger('UserSessions');
  private readonly secrets: readonly string[];

  constructor(
    readonly options: Required<LegacyCookieOptions>,
    private readonly storage: GuardedSessionStorage,
    private readonly lifetime: SessionLifetime,
    private readonly mapper: SessionMapper,
    private readonly table: ExpressSessionTable,
  ) {
    this.secrets = ([] as string[]).concat(options.secret);
  }

  /**
   * The session of the first old cookie value signed by a `legacyCookie.secret` that names a
   * live imported session, under its new key; null otherwise. What it costs: one primary-key
   * SELECT; for a session found, two UPDATEs, once. A validly signed cookie that finds nothing
   * is left in the browser: the import may not have run yet when the new app starts serving.
   */
  async moveOver(cookieValues: readonly string[], client: SeenClient): Promise<UserSession | null> {
    let sid: string | null = null;
    for (const value of cookieValues) {
      sid = unsignExpressSessionCookie(value, this.secrets);
      if (sid !== null) break;
    }
    if (sid === null) return null;
    const legacyId = digestLegacySessionId(sid);
    const record = await this.storage.find(legacyId);
    if (!record || !this.lifetime.isActive(record)) return null;

    // The old row first: should the rename fail, the old cookie still finds the session, and
    // at no moment can a later import copy the old id back in.
    await this.markLegacyRowDestroyed(sid);
    const session = this.mapper.fromRecord(record, null, client);
    const key = generateSessionKey();
    const keyDigest = digestSessionKey(key);
    const now = new Date();
    // The rename records the client too: the import left IP and user agent unknown.
    const expireDate = this.lifetime.activityExpiry(session, now);
    const renamed = await this.storage.update(legacyId, {
      keyDigest,
      previousKeyDigest: null,
      keySeal: null,
      keyIssuedAt: now,
      ...clientOf(session),
      lastActivity: now,
      ...(expireDate && { expireDate }),
    });
    if (!renamed) return null; // a concurrent request with the same cookie moved it over first
    session.setKey(key, keyDigest, now);
    session.markTouched(now, expireDate);
    return session;
  }

  /**
   * Soft-deletes the old express-session row of a session that moves over. A missing table
   * (dropped after the import, or a wrong `legacyCookie.table`) does not stop the move-over,
   * since it is what a re-import would read: it is logged.
   */
  private async markLegacyRowDestroyed(sid: string): Promise<void> {
    try {
      await this.storage.run(() => this.table.markDestroyed(sid));
    } catch (error) {
      if (error instanceof SessionStoreUnavailableException) throw error;
      this.logger.warn(
        `A session moved over from express-session, but its old row could not be marked destroyed in table "${this.table.name}" ` +
          `(${(error as Error)?.message ?? error}); set legacyCookie.table to the table the import read, or a later import copies it back.`,
      );
    }
  }
}
