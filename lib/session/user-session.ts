import { clientOf, type SessionClient } from './session-record.js';
import { readSessionData, writeSessionData, RESERVED_DATA_KEY, type ReadSessionData, type SessionData } from './session-data.js';
import type { UserId } from './user-id.js';

export { RESERVED_DATA_KEY, splitReservedData, type ReadSessionData, type SessionData } from './session-data.js';

/** What the store remembers of the row as it was read, to decide what a save must write. */
export interface StoredSessionState extends SessionClient {
  lastActivity: Date;
}

/** @internal The fields the store builds a session from. */
export interface UserSessionInit {
  key: string | null;
  /** The key's digest, as stored; null until stored. */
  keyDigest: string | null;
  id: string | null;
  userId: UserId | null;
  /** The data; or the row's JSON, read on first use (`authenticatedAt` with it). */
  data: SessionData | string;
  /** How the JSON is read; `readSessionData()` unless a test counts the reads. */
  readData?: (json: string, id: string | null) => ReadSessionData;
  expireDate: Date;
  ip: string | null;
  userAgent: string | null;
  clientPlatform: string | null;
  clientPlatformVersion: string | null;
  lastActivity: Date;
  createdAt: Date;
  /** When the key was issued. */
  keyIssuedAt: Date;
  stored: StoredSessionState | null;
  /** `idleTimeout` is on: the store sets the expiry on every write, `setExpiry()` throws. */
  slidingExpiry?: boolean;
  /** When the user last entered their password (epoch ms), or null. */
  authenticatedAt?: number | null;
}

/**
 * A session in memory: its data, its user and the client it was last seen from. It tracks,
 * like the seed project, whether it was `accessed` (data read) and `modified` (something that
 * must be written). Reading never modifies. `SessionStoreService` loads and saves it.
 *
 * The session key is kept in a private field: it never appears in `JSON.stringify()`,
 * `console.log()` or an error report.
 */
export class UserSession {
  #key: string | null;
  /** Undefined until `#readData` has read `#json`: most requests only ask who is signed in. */
  #data: SessionData | undefined;
  #json: string | undefined;
  #readData: ((json: string, id: string | null) => ReadSessionData) | undefined;
  #authenticatedAt: number | null;
  #deviceId: string | null = null;
  readonly #slidingExpiry: boolean;

  /**
   * The public id: the SHA-256 digest of the key the session started with (created, or signed
   * in), never a key itself. It stays when the key changes (rotation, re-authentication,
   * `cycleKey()`); signing in starts a new one. Null until the session is stored.
   */
  id: string | null;
  /** The signed-in user, or null. Set with `SessionStoreService.login()`. */
  userId: UserId | null;
  /**
   * When the session stops being valid. With the `idleTimeout` option, every write moves it to
   * the earlier of `createdAt + maxAge` and the write's time + `idleTimeout`.
   */
  expireDate: Date;
  /** The client's IP, as last recorded. */
  ip: string | null;
  /** The client's user agent, as last recorded. */
  userAgent: string | null;
  /** The `Sec-CH-UA-Platform` Client Hint, as last recorded. */
  clientPlatform: string | null;
  /** The `Sec-CH-UA-Platform-Version` Client Hint, as last recorded. */
  clientPlatformVersion: string | null;
  /** The last recorded activity. */
  lastActivity: Date;
  /** When the session was created or last signed in (`login()`): `maxAge` counts from it. */
  createdAt: Date;
  /** Whether the session data was read or written. */
  accessed = false;

  /** @internal Data, user or expiry changed: the whole row must be written. */
  dataModified = false;

  /** @internal The row as read from the database; null for a session not stored yet. */
  stored: StoredSessionState | null;
  /** @internal The cookie must be sent again: new key (new session, login, cycleKey) or new expiry. */
  cookieStale = false;
  /** @internal The session was deleted (logout): the cookie must be cleared. */
  ended = false;
  /** @internal The digest of `key`, under which the row is stored; null until stored. */
  keyDigest: string | null;
  /** @internal When the current key was issued: key rotation counts from it. */
  keyIssuedAt: Date;
  /**
   * @internal The request came with the key this session's last rotation replaced, within its
   * grace: it gets the current key, and records no activity, so that activity keeps saying
   * whether the current key has been used.
   */
  cameWithPreviousKey = false;
  /**
   * @internal The browser's device key, from its device cookie (see `knownDevices`), or the one
   * a sign-in gave it; null outside HTTP and before a first sign-in in this browser.
   */
  deviceKey: string | null = null;
  /** @internal The device cookie must be sent (a sign-in issued or renewed it). */
  deviceCookieStale = false;
  /** @internal The session came with a request, which can be given a device cookie. */
  deviceCookieWritable = false;

  /** @internal Created by `SessionStoreService`. */
  constructor(init: UserSessionInit) {
    this.#key = init.key;
    this.keyDigest = init.keyDigest;
    this.keyIssuedAt = init.keyIssuedAt;
    if (typeof init.data === 'string') {
      this.#json = init.data;
      this.#readData = init.readData ?? readSessionData;
    } else {
      this.#data = init.data;
    }
    this.id = init.id;
    this.userId = init.userId;
    this.expireDate = init.expireDate;
    this.ip = init.ip;
    this.userAgent = init.userAgent;
    this.clientPlatform = init.clientPlatform;
    this.clientPlatformVersion = init.clientPlatformVersion;
    this.lastActivity = init.lastActivity;
    this.createdAt = init.createdAt;
    this.stored = init.stored;
    this.#slidingExpiry = init.slidingExpiry === true;
    this.#authenticatedAt = init.authenticatedAt ?? null;
  }

  /**
   * When the user last entered their password on this session: at `login()`, or at
   * `SessionStoreService.reauthenticate()`. Null for an anonymous session, and for one signed in
   * before the library recorded it. `@RequireRecentLogin()` compares it with the clock.
   */
  get authenticatedAt(): Date | null {
    this.#ensureData();
    return this.#authenticatedAt === null ? null : new Date(this.#authenticatedAt);
  }

  /** @internal Set by `login()` and `reauthenticate()`; the row must be written. */
  setAuthenticatedAt(date: Date | null): void {
    this.#ensureData();
    this.#authenticatedAt = date === null ? null : date.getTime();
    this.dataModified = true;
  }

  /**
   * The id of the known device (see `knownDevices`) the session was signed in on, as the
   * devices API lists it; null for an anonymous session, or one signed in without a device.
   */
  get deviceId(): string | null {
    this.#ensureData();
    return this.#deviceId;
  }

  /** @internal Set by `login()`; the row must be written. */
  setDeviceId(id: string | null): void {
    this.#ensureData();
    this.#deviceId = id;
    this.dataModified = true;
  }

  /**
   * The secret session key, as the cookie carries it. Only for code that must hand the key
   * to a client itself (a test client, another transport); never log or store it.
   */
  get key(): string | null {
    return this.#key;
  }

  /**
   * @internal A new key, issued at `issuedAt`, stored under `digest`: the cookie must be sent
   * again, and the request holds the current key from now on.
   */
  setKey(key: string, digest: string, issuedAt: Date): void {
    this.#key = key;
    this.keyDigest = digest;
    this.keyIssuedAt = issuedAt;
    this.cookieStale = true;
    this.cameWithPreviousKey = false;
  }

  /**
   * Whether the session has changes to write: data, user or expiry, or a client (IP, user
   * agent) other than the one stored. Reading never modifies.
   */
  get modified(): boolean {
    return this.dataModified || this.clientChanged;
  }

  /** @internal The request comes from another IP, user agent or platform than the stored row says. */
  get clientChanged(): boolean {
    const stored = this.stored;
    return (
      stored !== null &&
      (stored.ip !== this.ip ||
        stored.userAgent !== this.userAgent ||
        stored.clientPlatform !== this.clientPlatform ||
        stored.clientPlatformVersion !== this.clientPlatformVersion)
    );
  }

  /** @internal The key is no longer valid (session ended). */
  clearKey(): void {
    this.#key = null;
    this.keyDigest = null;
    this.id = null;
    this.cookieStale = false;
    this.cameWithPreviousKey = false;
  }

  /** Whether a user is signed in on this session. */
  get isAuthenticated(): boolean {
    return this.userId !== null;
  }

  /** Whether the session has a row in the database. */
  get isStored(): boolean {
    return this.stored !== null;
  }

  /** The value stored under `name`, or undefined. Marks the session accessed. */
  get<T = unknown>(name: string): T | undefined {
    this.accessed = true;
    // Own values only: a name like "constructor" must not find Object.prototype's.
    const data = this.#ensureData();
    return (Object.hasOwn(data, name) ? data[name] : undefined) as T | undefined;
  }

  /** Whether a value is stored under `name`. Marks the session accessed. */
  has(name: string): boolean {
    this.accessed = true;
    return Object.prototype.hasOwnProperty.call(this.#ensureData(), name);
  }

  /**
   * Stores a JSON-serializable value under `name`; `undefined` removes it. Marks the session
   * modified, so the request that did it writes the row (and a session not stored yet gets its
   * cookie), even when the value is the one already stored.
   */
  set(name: string, value: unknown): void {
    if (name === RESERVED_DATA_KEY) {
      throw new RangeError(`"${RESERVED_DATA_KEY}" is where the library keeps its own records in the session data; choose another name`);
    }
    if (value === undefined) {
      this.remove(name);
      return;
    }
    this.accessed = true;
    this.dataModified = true;
    // Not `data[name] = value`: "__proto__" would replace the data's prototype (so that
    // get() of any name finds the value's fields) instead of storing a value under it.
    Object.defineProperty(this.#ensureData(), name, { value, enumerable: true, writable: true, configurable: true });
  }

  /** Removes the value under `name`. Marks the session modified when there was one. */
  remove(name: string): void {
    this.accessed = true;
    const data = this.#ensureData();
    if (Object.prototype.hasOwnProperty.call(data, name)) {
      delete data[name];
      this.dataModified = true;
    }
  }

  /** A copy of all the session data. Marks the session accessed. */
  toObject(): SessionData {
    this.accessed = true;
    return structuredClone(this.#ensureData());
  }

  /** Removes all the session data (the user stays signed in). */
  clear(): void {
    this.accessed = true;
    if (Object.keys(this.#ensureData()).length > 0) {
      this.#data = {};
      this.dataModified = true;
    }
  }

  /** When the session expires. */
  getExpiryDate(): Date {
    return this.expireDate;
  }

  /**
   * Sets when the session expires: a `Date`, or a number of milliseconds from now.
   * The cookie's Max-Age follows on the next response. Not available with the `idleTimeout`
   * option, under which the expiry follows activity (it throws).
   */
  setExpiry(value: Date | number): void {
    if (this.#slidingExpiry) {
      // Silently overwriting it on the next activity update would be worse: a session the app
      // meant to end early would live on.
      throw new Error(
        'setExpiry() is not available with the idleTimeout option: the store then sets the expiry on every write ' +
          '(the earlier of createdAt + maxAge and the last activity + idleTimeout). ' +
          'To end a session now, use SessionStoreService.logout() or delete().',
      );
    }
    const date = value instanceof Date ? new Date(value.getTime()) : new Date(Date.now() + value);
    if (Number.isNaN(date.getTime())) {
      throw new TypeError('setExpiry() takes a valid Date or a number of milliseconds');
    }
    this.expireDate = date;
    this.dataModified = true;
    // The cookie carries the expiry too, so it must be sent again.
    this.cookieStale = true;
  }

  /** @internal The data serialized for the database, with the library's own records; throws when too large. */
  serializeData(): string {
    return writeSessionData(this.#ensureData(), { authenticatedAt: this.#authenticatedAt, deviceId: this.#deviceId });
  }

  /** @internal After the whole row was written at `now`: nothing is left to write. */
  markStored(now: Date): void {
    this.markTouched(now);
    this.dataModified = false;
    this.ended = false;
  }

  /** @internal After an activity update at `now` (which moves the expiry with `idleTimeout`): what the row now holds. */
  markTouched(now: Date, expireDate?: Date): void {
    if (expireDate !== undefined) this.expireDate = expireDate;
    this.lastActivity = now;
    this.stored = { ...clientOf(this), lastActivity: now };
  }

  /** @internal Deleted on purpose (logout, delete): the request's cookie is cleared. */
  markEnded(): void {
    this.markVanished();
    this.ended = true;
  }

  /**
   * @internal The row was gone when we wrote (ended elsewhere): the session is anonymous from
   * now on, but the cookie is left alone, since the browser may hold a newer key by now.
   */
  markVanished(): void {
    this.stored = null;
    this.userId = null;
    this.replaceData({});
    this.setAuthenticatedAt(null);
    this.#deviceId = null;
    this.dataModified = false;
    this.clearKey();
  }

  /** @internal Replaces the data (login as another user starts afresh). */
  replaceData(data: SessionData): void {
    this.#ensureData(); // keeps the stored authenticatedAt
    this.#data = data;
  }

  #ensureData(): SessionData {
    if (this.#data === undefined) {
      const { data, authenticatedAt, deviceId } = this.#readData!(this.#json!, this.id);
      this.#readData = undefined;
      this.#json = undefined;
      this.#data = data;
      this.#authenticatedAt = authenticatedAt;
      this.#deviceId = deviceId;
    }
    return this.#data;
  }

  /** What is safe to show: no key. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      userId: this.userId,
      ip: this.ip,
      userAgent: this.userAgent,
      lastActivity: this.lastActivity,
      expireDate: this.expireDate,
      createdAt: this.createdAt,
    };
  }
}
