import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import type { SessionLifetime } from '../session/session-lifetime.js';
import { appendHeader, serializeCookie, type SessionCookieAttributes } from './cookies.js';
import type { RequestSessionHandle } from './request-session-handle.js';

/** The session cookie's name: `cookieName`, with the `__Host-` prefix when `hostPrefix` is on. */
export function sessionCookieName(options: Pick<ResolvedUserSessionsOptions, 'cookieName' | 'hostPrefix'>): string {
  return options.hostPrefix ? `__Host-${options.cookieName}` : options.cookieName;
}

/** The device cookie's name (`knownDevices.cookieName`), with the `__Host-` prefix when `hostPrefix` is on. */
export function deviceCookieName(options: Pick<ResolvedUserSessionsOptions, 'knownDevices' | 'hostPrefix'>): string {
  return options.hostPrefix ? `__Host-${options.knownDevices.cookieName}` : options.knownDevices.cookieName;
}

/** Browsers keep a cookie at most 400 days (RFC 6265bis); a sign-in renews it. */
const DEVICE_COOKIE_MAX_AGE = 400 * 24 * 60 * 60;

/** Writes the response headers of a request's session: `Vary`, and `Set-Cookie` when it changed. */
export class SessionCookieWriter {
  private readonly name: string;
  private readonly deviceName: string;

  constructor(
    private readonly options: ResolvedUserSessionsOptions,
    private readonly lifetime: SessionLifetime,
  ) {
    this.name = sessionCookieName(options);
    this.deviceName = deviceCookieName(options);
  }

  /**
   * Sets `Vary: Cookie` on every response, whether or not it read the session (a cache must key
   * on the cookie, and the hidden admin API's 404 must look like any other), and `Set-Cookie`
   * when the key or expiry changed or the user signed out;
   * clears the old express-session cookie once its session has moved over.
   */
  write(handle: RequestSessionHandle, response: unknown): void {
    appendHeader(response, 'Vary', 'Cookie');
    const session = handle.session;
    if (!session) return;
    if (handle.unprefixedCookie) {
      // The cookie under its plain name, moved to the prefixed one below, or refused: cleared.
      appendHeader(response, 'Set-Cookie', serializeCookie(this.options.cookieName, '', { ...this.attributes(handle), maxAge: 0 }));
      handle.unprefixedCookie = false;
    }
    if (handle.legacyMovedOver && this.options.legacyCookie) {
      // Path=/ and no Domain: express-session's defaults. An old cookie set elsewhere stays in
      // the browser, but it is dead: its session has a new key and its old row is destroyed.
      appendHeader(response, 'Set-Cookie', serializeCookie(this.options.legacyCookie.name, '', {
        ...this.attributes(handle),
        path: '/',
        domain: undefined,
        maxAge: 0,
      }));
      handle.legacyMovedOver = false;
    }
    if (session.ended && !session.isStored) {
      // Signed out (and nothing new was stored): the browser forgets the key.
      if (handle.cookieKey !== null) {
        appendHeader(response, 'Set-Cookie', serializeCookie(this.name, '', { ...this.attributes(handle), maxAge: 0 }));
      }
      return;
    }
    if (session.cookieStale && session.key !== null) {
      const attributes = this.attributes(handle);
      if (!this.options.expireAtBrowserClose) {
        attributes.maxAge = (this.lifetime.cookieExpiry(session) - Date.now()) / 1000;
      }
      appendHeader(response, 'Set-Cookie', serializeCookie(this.name, session.key, attributes));
      session.cookieStale = false;
    }
    if (session.deviceCookieStale && session.deviceKey !== null) {
      // The device outlives its sessions: it is how a sign-in next year knows this browser.
      appendHeader(response, 'Set-Cookie', serializeCookie(this.deviceName, session.deviceKey, { ...this.attributes(handle), maxAge: DEVICE_COOKIE_MAX_AGE }));
      session.deviceCookieStale = false;
    }
    // Why no cookie is cleared for a missing or expired row: a slow request still carrying
    // the old key after a login elsewhere in the same browser would erase the new cookie.
  }

  private attributes(handle: RequestSessionHandle): SessionCookieAttributes {
    return {
      path: this.options.cookiePath,
      domain: this.options.cookieDomain,
      httpOnly: true,
      secure: this.options.secure === 'auto' ? handle.secure : this.options.secure,
      sameSite: this.options.sameSite,
      maxAge: undefined,
    };
  }
}
