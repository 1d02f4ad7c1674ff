import { Logger } from '@nestjs/common';
import type { UserId } from '../session/user-id.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';
import { isStatementError } from './database-errors.js';
import type { DeleteExpiredOptions, SessionListQuery, SessionRecord, SessionRecordChanges, SessionStorage, SessionTarget } from './session-storage.interface.js';
import { withStorageTimeout } from './storage-timeout.js';

/**
 * The outage guard, as a storage decorator: every call of the storage it wraps either answers
 * within `storageTimeout` or fails as the 503 `SessionStoreUnavailableException` (clients
 * retry; nothing hangs or crashes), logged with the driver's message. A statement the database
 * refused (a foreign key to a missing user, say) is rethrown as the bug it is. Only digests
 * reach the database, so no message can carry a session key. `deleteExpired()` has no time
 * limit: a large backlog takes long by design, one short batch at a time.
 */
export class GuardedSessionStorage implements SessionStorage {
  private readonly logger = new Logger('UserSessions');

  constructor(
    private readonly storage: SessionStorage,
    /** Milliseconds one call may take; 0 waits as long as the driver does. */
    private readonly timeoutMs: number,
  ) {}

  find(keyDigest: string): Promise<SessionRecord | null> {
    return this.run(() => this.storage.find(keyDigest));
  }

  findByPreviousKey(keyDigest: string): Promise<SessionRecord | null> {
    return this.run(() => this.storage.findByPreviousKey(keyDigest));
  }

  findById(id: string): Promise<SessionRecord | null> {
    return this.run(() => this.storage.findById(id));
  }

  insert(record: SessionRecord): Promise<void> {
    return this.run(() => this.storage.insert(record));
  }

  update(keyDigest: string, changes: SessionRecordChanges): Promise<boolean> {
    return this.run(() => this.storage.update(keyDigest, changes));
  }

  delete(target: SessionTarget): Promise<boolean> {
    return this.run(() => this.storage.delete(target));
  }

  listActive(userId: UserId, now: Date): Promise<SessionRecord[]> {
    return this.run(() => this.storage.listActive(userId, now));
  }

  deleteOthers(userId: UserId, exceptId: string | null, now: Date): Promise<number> {
    return this.run(() => this.storage.deleteOthers(userId, exceptId, now));
  }

  deleteAllForUser(userId: UserId): Promise<number> {
    return this.run(() => this.storage.deleteAllForUser(userId));
  }

  list(query: SessionListQuery, now: Date): Promise<SessionRecord[]> {
    return this.run(() => this.storage.list(query, now));
  }

  deleteExpired(now: Date, options?: DeleteExpiredOptions): Promise<number> {
    return this.run(() => this.storage.deleteExpired(now, options), 0);
  }

  /**
   * Runs one call to the database under the guard's rules (for the few statements that are not
   * the storage's, such as the express-session move-over's).
   */
  run<T>(action: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    let work: Promise<T>;
    try {
      work = action();
    } catch (error) {
      work = Promise.reject(error);
    }
    // Not an async function with try/await: this runs on every request, and the mapping inside
    // the timeout's own promise saves a promise and a turn of the microtask queue.
    return withStorageTimeout(work, timeoutMs, (error) => this.failure(error));
  }

  private failure(error: unknown): unknown {
    if (isStatementError(error)) return error;
    this.logger.error(`Session store failure: ${(error as Error)?.message ?? error}`);
    return new SessionStoreUnavailableException(error);
  }
}
