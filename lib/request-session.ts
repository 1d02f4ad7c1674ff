import type { UserSession } from './user-session.js';
import { REQUEST_HANDLES } from './user-sessions.constants.js';

/**
 * What the session layer keeps on a request: the cookie's key and the client, read without
 * touching the database, and the session once something asks for it. Created by
 * `SessionStoreService.forRequest()` and kept with `keepHandle()`; loading is memoised, so the
 * guard, the handler and the middleware share one primary-key SELECT.
 */
/** What loads a handle's session: `SessionStoreService`. */
export interface SessionLoader {
  loadSession(handle: RequestSessionHandle): Promise<UserSession>;
}

const NO_COOKIES: readonly string[] = Object.freeze([]);

export class RequestSessionHandle {
  session: UserSession | undefined;
  /** The values of the old express-session cookie (`legacyCookie`), not verified yet; empty without one. */
  legacyCookies: readonly string[] = NO_COOKIES;
  /** The session moved over from the old cookie in this request: that cookie is to be cleared. */
  legacyMovedOver = false;
  #loading: Promise<UserSession> | undefined;

  constructor(
    /** The well-formed key from the cookie, or null: junk cookies never reach the database. */
    readonly cookieKey: string | null,
    readonly ip: string | null,
    readonly userAgent: string | null,
    /** The platform Client Hints the request sent, or null when it sent none. */
    readonly clientHints: { platform: string; platformVersion: string | null } | null,
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
    this.#loading ??= this.loader.loadSession(this).then(
      (session) => {
        this.session = session;
        return session;
      },
      (error: unknown) => {
        // A failed load (database down) may be retried by a later caller in the same request.
        this.#loading = undefined;
        throw error;
      },
    );
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

/**
 * Every request's handle, by the request it is kept on (`sessionCarrier`). A WeakMap, not a
 * property of the request: adding a property to Node's request on every request cost more than
 * the map (in `npm run bench`), and the entry goes when the request does. Shared through the
 * global symbol registry, so that two copies of the library in one app (a duplicated
 * dependency) still find each other's handles.
 */
const handles: WeakMap<object, RequestSessionHandle> = ((globalThis as Record<symbol, unknown>)[REQUEST_HANDLES] ??=
  new WeakMap()) as WeakMap<object, RequestSessionHandle>;

/** The request's handle, or undefined before `keepHandle()`; `request` may be either side's (see `sessionCarrier`). */
export function findHandle(request: object): RequestSessionHandle | undefined {
  return handles.get(request) ?? handles.get(sessionCarrier(request));
}

/** Keeps the handle for the rest of the request. */
export function keepHandle(request: object, handle: RequestSessionHandle): void {
  handles.set(sessionCarrier(request), handle);
}
