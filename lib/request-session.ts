import type { UserSession } from './user-session.js';

/**
 * What the session layer keeps on a request: the cookie's key and the client, read without
 * touching the database, and the session once something asks for it. Created by
 * `SessionStoreService.forRequest()`; loading is memoised, so the guard, the handler and the
 * middleware share one primary-key SELECT.
 */
export class RequestSessionHandle {
  session: UserSession | undefined;
  /** The values of the old express-session cookie (`legacyCookie`), not verified yet; empty without one. */
  legacyCookies: readonly string[] = [];
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
    /** The request came over HTTPS (as the platform sees it through `trust proxy`). */
    readonly secure: boolean,
    private readonly loader: (handle: RequestSessionHandle) => Promise<UserSession>,
  ) {}

  /** The request's session, loaded on first use. */
  load(): Promise<UserSession> {
    if (!this.#loading) {
      const loading = this.loader(this).then((session) => {
        this.session = session;
        return session;
      });
      // A failed load (database down) may be retried by a later caller in the same request.
      loading.catch(() => {
        if (this.#loading === loading) this.#loading = undefined;
      });
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
