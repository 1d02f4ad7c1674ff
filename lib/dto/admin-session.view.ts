import type { UserId } from '../user-sessions-module-options.interface.js';
import type { SessionView } from './session.view.js';

/** One line of `GET /admin/sessions` (the `adminPath`): a session of any user, never its key. */
export interface AdminSessionView extends Omit<SessionView, 'current'> {
  /** The signed-in user, or null for an anonymous session. */
  userId: UserId | null;
  /** Created, or last signed in (`maxAge` counts from it). */
  createdAt: string;
  /** Not expired (nor idle longer than `idleTimeout`): its cookie still signs in. */
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
