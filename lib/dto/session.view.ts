/** One line of `GET /account/sessions`. */
export interface SessionView {
  /** Opaque id, for `DELETE /account/sessions/:id`; it cannot be used as a cookie. */
  id: string;
  ip: string | null;
  userAgent: string | null;
  /** "Chrome on Windows 11", or null. */
  device: string | null;
  /** "Chrome", or null. */
  browser: string | null;
  /** "Windows 11", or null. */
  platform: string | null;
  /** "London, United Kingdom", or null (no GeoIP database, private or unknown address). */
  location: string | null;
  lastActivity: string;
  /** When it ends unless used again: with `idleTimeout`, each activity update moves it. */
  expireDate: string;
  /** This is the session of the request. */
  current: boolean;
}

/** Answer of `DELETE /account/sessions`. */
export interface EndOtherSessionsResult {
  deleted: number;
}
