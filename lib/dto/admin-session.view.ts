import type { UserId } from '../user-sessions-module-options.interface.js';

/** One line of `GET /admin/sessions` (the `adminPath`): a session of any user, never its key. */
export interface AdminSessionView {
  /** Opaque id, for `DELETE /admin/sessions/:id`; it cannot be used as a cookie. */
  id: string;
  /** The signed-in user, or null for an anonymous session. */
  userId: UserId | null;
  ip: string | null;
  userAgent: string | null;
  /** "Chrome on Windows 11", or null. */
  device: string | null;
  /** "Chrome", or null. */
  browser: string | null;
  /** "Windows 11", or null. */
  platform: string | null;
  /** "London, United Kingdom", or null. */
  location: string | null;
  lastActivity: string;
  createdAt: string;
  expireDate: string;
  /** Not expired yet: its cookie still signs in. */
  valid: boolean;
}

/** Answer of `GET /admin/sessions`. */
export interface AdminSessionsPage {
  sessions: AdminSessionView[];
  /** Pass it back as `?cursor=` (with the same filters) for the next page; null on the last. */
  nextCursor: string | null;
}

/** Answer of `DELETE /admin/sessions/users/:userId`. */
export interface EndUserSessionsResult {
  /** How many sessions the user had (expired ones included), all ended now. */
  ended: number;
}
