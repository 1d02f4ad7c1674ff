import type { PlatformHints } from '../session/client.js';
import type { SeenClient } from '../session/session-mapper.js';
import type { UserSession } from '../session/user-session.js';
import { REQUEST_SESSION } from '../user-sessions.constants.js';

/** What loads a handle's session: `RequestSessionService`. */
export interface SessionLoader {
  loadSession(handle: RequestSessionHandle): Promise<UserSession>;
}

/** What the commit asks of the request's express-session-compatible `req.session` (the `expressSessionApi` option). */
export interface SessionObjectSync {
  /** Whether its data or Passport's user differ from the session's: the response must wait for `sync()`. */
  hasChanges(): boolean;
  /** Brings them into the session (signing Passport's user in or out). */
  sync(): Promise<void>;
}

const NO_COOKIES: readonly string[] = Object.freeze([]);

/**
 * What the session layer keeps on a request: the cookie's key and the client, read without
 * touching the database, and the session once something asks for it. Created by
 * `RequestSessionService.forRequest()` and kept with `keepHandle()`; loading is memoised, so the
 * guard, the handler and the middleware share one primary-key SELECT.
 */
export class RequestSessionHandle implements SeenClient {
  session: UserSession | undefined;
  /** The values of the old express-session cookie (`legacyCookie`), not verified yet; empty without one. */
  legacyCookies: readonly string[] = NO_COOKIES;
  /** The session moved over from the old cookie in this request: that cookie is to be cleared. */
  legacyMovedOver = false;
  /** The key came from the cookie's plain name while `hostPrefix` is on: it is moved over or refused, and the plain cookie cleared. */
  unprefixedCookie = false;
  /** The well-formed key of the request's device cookie (`knownDevices`), or null. */
  deviceKey: string | null = null;
  /** The request's `req.session`, with the `expressSessionApi` option. */
  sessionObject: SessionObjectSync | undefined;
  #loading: Promise<UserSession> | undefined;

  constructor(
    /** The well-formed key from the cookie, or null: junk cookies never reach the database. */
    readonly cookieKey: string | null,
    readonly ip: string | null,
    readonly userAgent: string | null,
    /** The platform Client Hints the request sent, or null when it sent none. */
    readonly hints: PlatformHints | null,
    /** The platform's request, for `secure`. */
    private readonly request: { protocol?: string },
    private readonly loader: SessionLoader,
  ) {}

  #secure: boolean | undefined;

  /**
   * The request came over HTTPS (as the platform sees it through `trust proxy`). Read only when
   * a cookie is set: Express works `protocol` out anew on each read.
   */
  get secure(): boolean {
    this.#secure ??= this.request.protocol === 'https';
    return this.#secure;
  }

  /** The request's session, loaded on first use. */
  load(): Promise<UserSession> {
    if (!this.#loading) {
      const loading: Promise<UserSession> = this.loader.loadSession(this).then(
        (session) => {
          this.session = session;
          session.deviceKey = this.deviceKey;
          session.deviceCookieWritable = true;
          return session;
        },
        (error: unknown) => {
          // A failed load (database down) may be retried by a later caller in the same request.
          if (this.#loading === loading) this.#loading = undefined;
          throw error;
        },
      );
      this.#loading = loading;
    }
    return this.#loading;
  }
}

/**
 * The object a request's handle is kept on: the Node.js request. Nest middleware gets it as
 * its request on Fastify (through @fastify/middie), while guards, decorators and handlers get
 * the FastifyRequest, which carries it as `raw`; so both sides find the same handle. On
 * Express every step gets the same request object, which has no `raw`.
 */
export function sessionCarrier(request: object): object {
  const raw = (request as { raw?: unknown }).raw;
  return typeof raw === 'object' && raw !== null ? raw : request;
}

/** What a request carries its handle under (see `sessionCarrier`). */
interface HandleCarrier {
  [REQUEST_SESSION]?: RequestSessionHandle;
}

/** The request's handle, or undefined before `keepHandle()`; `request` may be either side's (see `sessionCarrier`). */
export function findHandle(request: object): RequestSessionHandle | undefined {
  return (request as HandleCarrier)[REQUEST_SESSION] ?? (sessionCarrier(request) as HandleCarrier)[REQUEST_SESSION];
}

/**
 * Keeps the handle on the request for the rest of the request. A property, not a WeakMap: a
 * WeakMap keeps young requests alive through V8's young-generation collection, which made
 * collections slower under load (bench/README.md).
 */
export function keepHandle(request: object, handle: RequestSessionHandle): void {
  (sessionCarrier(request) as HandleCarrier)[REQUEST_SESSION] = handle;
}
