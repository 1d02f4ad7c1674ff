import type { UserSession } from '../session/user-session.js';
import type { RequestSessionHandle } from './request-session-handle.js';

/** What `req.session`'s methods ask of the module: `ExpressSessionApiService`. */
export interface ExpressSessionBackend {
  regenerate(object: ExpressSessionApi): Promise<void>;
  save(object: ExpressSessionApi): Promise<void>;
  destroy(object: ExpressSessionApi): Promise<void>;
  reload(object: ExpressSessionApi): Promise<void>;
  sync(object: ExpressSessionApi): Promise<void>;
  hasChanges(object: ExpressSessionApi): boolean;
  cookie(object: ExpressSessionApi): ExpressSessionCookie;
}

/** express-session's callback: called with the error, or with nothing once done. */
export type ExpressSessionCallback = (error?: unknown) => void;

/** @internal The key of `ExpressSessionApi`'s own state. */
export const STATE = Symbol('ExpressSessionApi state');

/** @internal What `req.session` keeps beside the data. */
export interface ExpressSessionState {
  readonly backend: ExpressSessionBackend;
  readonly handle: RequestSessionHandle;
  /** The request that carries the object as `session`. */
  readonly request: { session?: unknown };
  /** The data's JSON as the session last held it: what "changed" is measured from. */
  savedJson: string;
  /** The session's id when this object last matched it: a session ended since (signed out through the sessions API, say) is not brought back. */
  sessionId: string | null;
}

/** The cookie settings that `req.session.cookie` shows (read from the module options). */
export interface ExpressSessionCookieAttributes {
  path: string;
  domain: string | undefined;
  httpOnly: true;
  secure: boolean;
  sameSite: 'lax' | 'strict' | 'none';
}

/**
 * `req.session.cookie`, as express-session has it. `expires` and `maxAge` are the session's
 * expiry: setting either (a "remember me" choice, say) moves it, through `setExpiry()`.
 */
export class ExpressSessionCookie implements ExpressSessionCookieAttributes {
  readonly path: string;
  readonly domain: string | undefined;
  readonly httpOnly = true as const;
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none';

  /** @internal Built by `ExpressSessionApiService` for `req.session.cookie`. */
  constructor(
    private readonly session: UserSession,
    attributes: ExpressSessionCookieAttributes,
    /** The `maxAge` option, in milliseconds; null when the cookie ends with the browser. */
    readonly originalMaxAge: number | null,
    private readonly expiry: () => number,
  ) {
    this.path = attributes.path;
    this.domain = attributes.domain;
    this.secure = attributes.secure;
    this.sameSite = attributes.sameSite;
  }

  /** When the cookie (and the session) expires; null for a cookie that ends with the browser. */
  get expires(): Date | null {
    return this.originalMaxAge === null ? null : new Date(this.expiry());
  }

  set expires(date: Date | null) {
    if (date !== null) this.session.setExpiry(date);
  }

  /** Milliseconds until `expires`; null for a cookie that ends with the browser. */
  get maxAge(): number | null {
    return this.originalMaxAge === null ? null : Math.max(0, this.expiry() - Date.now());
  }

  set maxAge(milliseconds: number | null) {
    if (milliseconds !== null) this.session.setExpiry(milliseconds);
  }

  toJSON(): Record<string, unknown> {
    const { originalMaxAge, expires, secure, httpOnly, domain, path, sameSite } = this;
    return { originalMaxAge, expires, secure, httpOnly, domain, path, sameSite };
  }
}

/**
 * The express-session-compatible `req.session` of the `expressSessionApi` option: the
 * session's data as its own properties, and express-session's methods, over the module's
 * session. What it writes is decided when the response leaves, as for any session: the data
 * is compared with what was loaded, and Passport's `passport.user` signs the session's user
 * in or out (see `ExpressSessionApiService`).
 */
export class ExpressSessionApi {
  /** @internal What the module keeps here; a symbol, so that no data name can clash with it. */
  declare readonly [STATE]: ExpressSessionState;

  [name: string]: unknown;

  /** @internal Built by `ExpressSessionApiService` when the request's session is loaded. */
  constructor(backend: ExpressSessionBackend, handle: RequestSessionHandle, request: { session?: unknown }) {
    const data = handle.session!.toObject();
    const state: ExpressSessionState = { backend, handle, request, savedJson: JSON.stringify(data), sessionId: handle.session!.id };
    Object.defineProperty(this, STATE, { value: state });
    for (const [name, value] of Object.entries(data)) {
      // As express-session: a name of this API (id, cookie, save...) cannot be data.
      if (name in this) continue;
      // defineProperty: "__proto__" from the database is stored as data, not as a prototype.
      Object.defineProperty(this, name, { value, enumerable: true, writable: true, configurable: true });
    }
  }

  /** The session's public id (not the secret cookie key); null until it is stored. */
  get id(): string | null {
    return this[STATE].handle.session!.id;
  }

  /** The cookie's settings and the session's expiry. */
  get cookie(): ExpressSessionCookie {
    return this[STATE].backend.cookie(this);
  }

  /**
   * Ends this session and puts a new, empty one on the request (Passport calls it at sign-in
   * and sign-out, against session fixation).
   */
  regenerate(callback?: ExpressSessionCallback): this {
    return this.#settle(this[STATE].backend.regenerate(this), callback);
  }

  /** Writes the session now (it is written anyway as the response leaves). */
  save(callback?: ExpressSessionCallback): this {
    return this.#settle(this[STATE].backend.save(this), callback);
  }

  /** Ends the session: its row is deleted, `req.session` is unset and the cookie cleared. */
  destroy(callback?: ExpressSessionCallback): this {
    return this.#settle(this[STATE].backend.destroy(this), callback);
  }

  /** Reads the session again from the database; an error when it has ended meanwhile. */
  reload(callback?: ExpressSessionCallback): this {
    return this.#settle(this[STATE].backend.reload(this), callback);
  }

  /** Sends the cookie again, with the session's current expiry. */
  touch(): this {
    const session = this[STATE].handle.session!;
    session.cookieStale = session.key !== null;
    return this;
  }

  /** As `touch()`: the cookie's expiry is the session's. */
  resetMaxAge(): this {
    return this.touch();
  }

  /** @internal Whether the response must wait for `sync()`. */
  hasChanges(): boolean {
    return this[STATE].backend.hasChanges(this);
  }

  /** @internal Brings the data and Passport's user into the session, as the response leaves. */
  sync(): Promise<void> {
    return this[STATE].backend.sync(this);
  }

  #settle(work: Promise<void>, callback: ExpressSessionCallback | undefined): this {
    // Without a callback a failure is not lost: the response's commit meets it again.
    work.then(() => callback?.(), (error: unknown) => callback?.(error));
    return this;
  }
}
