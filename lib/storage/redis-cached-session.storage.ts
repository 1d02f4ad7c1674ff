import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type {
  DeleteExpiredOptions,
  SessionListQuery,
  SessionRecord,
  SessionRecordChanges,
  SessionStorage,
  SessionTarget,
} from './session-storage.interface.js';
import type { SessionCacheOptions, SessionCacheRedis } from './redis-cache.options.js';
import type { UserId } from '../session/user-id.js';
import { withTimeout } from './storage-timeout.js';
import { CacheEntrySigner, cacheTtl, userHex } from './redis-cache-entry.js';
import { SCRIPTS, type RedisScript } from './redis-cache-scripts.js';

/**
 * How long a lookup that missed holds its claim on filling the entry. Only liveness depends on
 * it (an instance that dies between its read and its fill blocks fills of that one session for
 * this long); a fill that comes later finds its claim gone and writes nothing.
 */
const LEASE_TTL_MS = 10_000;
/**
 * How long a revocation's hold stops fills when the instance never lifts it (it lost Redis
 * during the write). Longer than any write that can still report done: the outage guard gives
 * up after `storageTimeout` (10 s by default).
 */
const HOLD_TTL_MS = 300_000;
/** After a Redis failure, lookups go straight to the database for this long before Redis is tried again. */
const RETRY_DELAY_MS = 1_000;
/**
 * The columns of an activity update (`SessionStoreService.touch()`), which ends nothing: it
 * records the client and moves the expiry only later. Any other update must clear the entry.
 */
const ACTIVITY_COLUMNS = new Set<string>(['lastActivity', 'ip', 'userAgent', 'clientPlatform', 'clientPlatformVersion', 'expireDate']);

class RedisTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/**
 * A revocation could not reach Redis, so it changed nothing. The outage guard answers it as the
 * 503 `SessionStoreUnavailableException`: the client retries.
 */
class RedisUnreachableError extends Error {
  constructor(reason: string, cause?: unknown) {
    super(`The Redis session cache is unreachable (${reason}), so nothing was changed: a cached session is ended only once no instance can serve it`, { cause });
  }
}

/** The scripts of a revocation's hold and lift, and their keys and arguments (the same for both). */
interface Hold {
  hold: RedisScript;
  lift: RedisScript;
  keys: string[];
  args: (string | number)[];
}

/** `work`, or a RedisTimeoutError after `timeoutMs`; a late result or failure is ignored. */
function within<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  return withTimeout(work, timeoutMs, () => new RedisTimeoutError(timeoutMs));
}

/**
 * A `SessionStorage` that answers `find()` (the lookup every request makes) from Redis, in front
 * of the real storage, which stays the source of truth: a hit costs one Redis round trip and no
 * database statement; a miss reads the database and fills the entry. Entries are signed
 * (`CacheEntrySigner`): one this app did not write, under that key, is a miss.
 *
 * A revocation (`delete()`, `deleteOthers()`, `deleteAllForUser()`, and every `update()` but
 * an activity update: renames, data, user, expiry) runs in three steps:
 *   1. hold: delete the session's entry (for a user, mark all their entries as ended), and
 *      count the revocation as in progress, which stops every fill of it;
 *   2. the storage's write;
 *   3. lift: delete the entry (or mark the user's entries) again, and uncount it.
 * If the hold cannot reach Redis, the write is not made and the call fails (the guard answers
 * 503): other instances may still be reading the old entry, so reporting the session ended
 * would be a lie; with nothing changed, the client retries. Once held, no instance serves the
 * old entry, and none caches a row read during the write; a lift that fails leaves the count
 * to expire (`HOLD_TTL_MS`), which only delays caching. The user-wide mark costs no statement
 * and one Redis command whatever the number of sessions, and works with any storage.
 *
 * An activity update (`touch()`), with or without a key rotation, ends nothing: it writes first
 * and deletes the entries after, and a deletion that fails is only logged. `insert()` makes a new id, and `deleteExpired()` needs
 * nothing: an entry never outlives its row's expiry, and the store checks the expiry of every
 * record it reads anyway.
 *
 * The race of a fill with a write (A misses and reads the row, B deletes it and its entry,
 * then A writes the old row back) is closed by leases: a miss first puts a lease in the entry,
 * and the fill writes only where its own lease still is, and while no revocation of the session
 * or its user is in progress. A deletion in between deleted the lease; a user-wide end or a new
 * epoch in between is newer than the lease's token.
 *
 * Redis down or slow: every command is bounded by `timeout`; a failure sends lookups to the
 * database, logs one warning, and tries Redis again a second later. Since an activity update's
 * deletion that did not reach Redis may leave an entry behind, the cache is not read again
 * until a new epoch was started (every entry older than it ignored): after any failure, when
 * the client reconnects, and at start-up (a previous process may have died with a deletion
 * pending).
 */
export class RedisCachedSessionStorage implements SessionStorage, OnModuleInit, OnModuleDestroy {
  private readonly redis: SessionCacheRedis;
  private readonly signer: CacheEntrySigner;
  private readonly ttl: number;
  private readonly timeout: number;
  private readonly prefix: string;
  /** True once an epoch was started since the last trouble: only then are entries read. */
  private healthy = false;
  /** Whether the current trouble was logged. */
  private warned = false;
  /** Whether an entry that did not verify was logged (once per process). */
  private warnedUnverified = false;
  /** No new epoch is tried before this time (ms). */
  private retryAt = 0;
  private recovering: Promise<void> | null = null;
  /** Counts troubles and lost connections: a new epoch started before the last one does not count. */
  private troubles = 0;
  private readonly onClose = () => {
    this.healthy = false;
    this.troubles++;
    this.retryAt = 0;
  };

  constructor(
    private readonly storage: SessionStorage,
    options: Required<SessionCacheOptions>,
    private readonly log: { warn(message: string): void; log(message: string): void },
  ) {
    this.redis = options.redis;
    this.signer = new CacheEntrySigner(options.secret);
    this.ttl = options.ttl;
    this.timeout = options.timeout;
    this.prefix = options.keyPrefix;
    // A lost connection may have lost deletions: entries are trusted again after a new epoch.
    this.redis.on('close', this.onClose);
  }

  /** Starts the first epoch before the app serves, so that the first requests can use the cache. */
  async onModuleInit(): Promise<void> {
    this.recover();
    await this.recovering;
  }

  onModuleDestroy(): void {
    this.redis.off('close', this.onClose);
  }

  /** From Redis when a valid entry is there; else from the storage, filling the entry. */
  async find(id: string): Promise<SessionRecord | null> {
    // Entries are named by the key digest, as the request's lookup is.
    if (!this.usable()) return this.storage.find(id);
    const entry = this.key('session:', id);
    let reply: unknown;
    try {
      reply = await this.run(SCRIPTS.read, [entry, this.key('epoch'), this.key('clock')], [LEASE_TTL_MS, this.key('user:')]);
    } catch (error) {
      this.trouble(error);
      return this.storage.find(id);
    }
    const lease = typeof reply === 'string' && reply.startsWith('lease:') ? reply : null;
    if (typeof reply === 'string' && lease === null) {
      const record = this.signer.verify(entry, reply);
      if (record !== null) return record;
      // Not an entry this app wrote there (or past its time): read the database, and leave the key be.
      this.unverified();
      return this.storage.find(id);
    }
    let record: SessionRecord | null;
    try {
      record = await this.storage.find(id);
    } catch (error) {
      if (lease !== null) void this.release(entry, lease);
      throw error;
    }
    if (lease !== null) await this.fill(id, lease, record);
    return record;
  }

  /** Not cached: a key the cache did not find, which is rare (a request in flight during a rotation, or a stolen copy). */
  findByPreviousKey(keyDigest: string): Promise<SessionRecord | null> {
    return this.storage.findByPreviousKey(keyDigest);
  }

  /** Not cached: administration and ending by id. */
  findById(id: string): Promise<SessionRecord | null> {
    return this.storage.findById(id);
  }

  insert(record: SessionRecord): Promise<void> {
    // A new key digest: nothing cached can name it.
    return this.storage.insert(record);
  }

  async update(id: string, changes: SessionRecordChanges): Promise<boolean> {
    const renamed = changes.keyDigest;
    const ids = renamed === undefined || renamed === id ? [id] : [id, renamed];
    // A key rotation (it names the replaced key) ends nothing either: that key stays valid for
    // its grace anyway. Any other new key (sign-in, re-authentication) is a revocation.
    const rotation = typeof changes.previousKeyDigest === 'string';
    if (!rotation && !Object.keys(changes).every((column) => ACTIVITY_COLUMNS.has(column))) {
      return this.revoke(this.sessionHold(ids), () => this.storage.update(id, changes));
    }
    try {
      return await this.storage.update(id, changes);
    } finally {
      // Also after a failure: the statement may have been applied all the same (a timeout).
      await this.forget(ids);
    }
  }

  /**
   * Entries are named by key digest, and a signed-in session's key may change at any time (a
   * rotation): so its end marks all its user's entries, as "end all others" does (they are read
   * from the database once more). An anonymous session is deleted only under the key it has.
   */
  delete(target: SessionTarget): Promise<boolean> {
    const hold = target.userId !== null ? this.userHold(target.userId) : this.sessionHold([target.keyDigest!]);
    return this.revoke(hold, () => this.storage.delete(target));
  }

  listActive(userId: UserId, now: Date): Promise<SessionRecord[]> {
    return this.storage.listActive(userId, now);
  }

  deleteOthers(userId: UserId, exceptId: string | null, now: Date): Promise<number> {
    // The kept session's entry goes too: one lookup from the database, on a rare call.
    return this.revoke(this.userHold(userId), () => this.storage.deleteOthers(userId, exceptId, now));
  }

  deleteAllForUser(userId: UserId): Promise<number> {
    return this.revoke(this.userHold(userId), () => this.storage.deleteAllForUser(userId));
  }

  list(query: SessionListQuery, now: Date): Promise<SessionRecord[]> {
    return this.storage.list(query, now);
  }

  deleteExpired(now: Date, options?: DeleteExpiredOptions): Promise<number> {
    return this.storage.deleteExpired(now, options);
  }

  // ---------------------------------------------------------------- internals

  private key(kind: string, name = ''): string {
    return `${this.prefix}${kind}${name}`;
  }

  /**
   * A revocation: the hold, then `write`, then the lift (see the class comment). The hold comes
   * first so that a revocation that cannot reach Redis changes nothing and fails, rather than
   * ending the session in the database while other instances serve its entry.
   */
  private async revoke<T>(hold: Hold, write: () => Promise<T>): Promise<T> {
    if (!this.connected()) throw new RedisUnreachableError(`the connection is ${this.redis.status}`);
    try {
      await this.run(hold.hold, hold.keys, hold.args);
    } catch (error) {
      this.trouble(error);
      throw new RedisUnreachableError(error instanceof Error ? error.message : String(error), error);
    }
    try {
      return await write();
    } finally {
      // Also after a failure: the statement may have been applied all the same (a timeout).
      try {
        await this.run(hold.lift, hold.keys, hold.args);
      } catch (error) {
        this.trouble(error);
      }
    }
  }

  private sessionHold(ids: string[]): Hold {
    const keys = ids.flatMap((id) => [this.key('session:', id), this.key('ending:', id)]);
    return { hold: SCRIPTS.holdSessions, lift: SCRIPTS.liftSessions, keys, args: [HOLD_TTL_MS] };
  }

  private userHold(userId: UserId): Hold {
    const user = userHex(userId);
    // The mark must outlive every entry and lease older than it.
    const args = [Math.max(this.ttl, LEASE_TTL_MS), HOLD_TTL_MS];
    return { hold: SCRIPTS.holdUser, lift: SCRIPTS.liftUser, keys: [this.key('user:', user), this.key('ending-user:', user), this.key('clock')], args };
  }

  /** Whether the cache may be read now; if not, tries to bring it back (in the background). */
  private usable(): boolean {
    if (this.healthy && this.connected()) return true;
    this.recover();
    return false;
  }

  /**
   * Whether commands can be sent now: ioredis is `'ready'`, or `'wait'` (a lazyConnect client
   * connects for the first command). Otherwise the cache is not trusted until a new epoch, and
   * a state other than connecting is trouble.
   */
  private connected(): boolean {
    const status = this.redis.status;
    if (status === 'ready' || status === 'wait') return true;
    if (status === 'connecting' || status === 'connect') {
      // Connecting (at start-up, or again after a 'close' that already marked the cache untrusted).
      this.healthy = false;
    } else {
      this.trouble(`the connection is ${status}`);
    }
    return false;
  }

  /** Starts a new epoch, unless one is being started or Redis failed less than a second ago. */
  private recover(): void {
    if (this.recovering || Date.now() < this.retryAt || !this.connected()) return;
    const troubles = this.troubles;
    this.recovering = this.run(SCRIPTS.newEpoch, [this.key('epoch'), this.key('clock')], [])
      .then(
        () => {
          // A failure (or lost connection) while the epoch was being started may have lost a
          // deletion after it: the next attempt starts another.
          if (this.troubles !== troubles) return;
          this.healthy = true;
          if (this.warned) this.log.log('The Redis session cache answers again; entries from before the outage are ignored.');
          this.warned = false;
        },
        (error: unknown) => this.trouble(error),
      )
      .finally(() => {
        this.recovering = null;
      });
  }

  /** Redis failed: lookups go to the database, logged once until Redis is back. */
  private trouble(error: unknown): void {
    this.healthy = false;
    this.troubles++;
    this.retryAt = Date.now() + RETRY_DELAY_MS;
    if (this.warned) return;
    this.warned = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.log.warn(
      `The Redis session cache is unavailable (${reason}); session lookups go to the database, and writes that must clear a cached session (sign-out, ending sessions, a new key, data) answer 503, until it answers again.`,
    );
  }

  /** An entry did not verify: logged once, as it means another secret or someone writing to Redis. */
  private unverified(): void {
    if (this.warnedUnverified) return;
    this.warnedUnverified = true;
    this.log.warn(
      'A Redis session cache entry did not verify (signed with another cache.secret, changed, moved, or too old) and was ignored; the database was read instead.',
    );
  }

  private async fill(id: string, lease: string, record: SessionRecord | null): Promise<void> {
    const entry = this.key('session:', id);
    const ttl = record === null ? 0 : cacheTtl(record, this.ttl);
    if (record === null || ttl === 0) return this.release(entry, lease);
    const user = userHex(record.userId);
    const signed = this.signer.sign(entry, lease.slice('lease:'.length), user, record, Date.now() + ttl);
    try {
      await this.run(SCRIPTS.fill, [entry, this.key('epoch'), this.key('ending:', id)], [lease, user, signed, ttl, this.key('user:'), this.key('ending-user:')]);
    } catch (error) {
      this.trouble(error);
    }
  }

  private async release(entry: string, lease: string): Promise<void> {
    try {
      await this.run(SCRIPTS.release, [entry], [lease]);
    } catch (error) {
      this.trouble(error);
    }
  }

  /**
   * Deletes the entries of these ids after an activity update. When that fails the cache is not
   * read again until a new epoch has made the entries left behind worthless.
   */
  private async forget(ids: string[]): Promise<void> {
    if (!this.connected()) return;
    try {
      await within(this.redis.del(...ids.map((id) => this.key('session:', id))), this.timeout);
    } catch (error) {
      this.trouble(error);
    }
  }

  /** Runs a script by its SHA-1, loading it on first use; bounded by `timeout`. */
  private async run(script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await within(this.redis.evalsha(script.sha, keys.length, ...keys, ...args), this.timeout);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return within(this.redis.eval(script.source, keys.length, ...keys, ...args), this.timeout);
    }
  }
}
