import type { UserId } from '../session/user-id.js';

/**
 * What a security activity entry says happened:
 * - `'signed-in'`, `'signed-out'`, `'reauthenticated'` (the password entered again);
 * - `'session-ended'`: one session ended by someone or something else than its own sign-out
 *   (`details.endedBy`: the user from another session, an admin, expiry by the cleanup, the
 *   session limit, suspected theft, a reported device);
 * - `'other-sessions-ended'`: "End all other sessions" (`details.count`);
 * - `'all-sessions-ended'`: every session of the user, by an admin or after a security event
 *   (`details.reason`);
 * - `'new-device'`, `'device-trusted'`, `'device-reported'`: known devices and their answers;
 * - `'country-changed'`, `'network-changed'`, `'impossible-travel'`: risk signals
 *   (`details.from` / `details.to`).
 */
export type SecurityActivityKind =
  | 'signed-in'
  | 'signed-out'
  | 'session-ended'
  | 'other-sessions-ended'
  | 'all-sessions-ended'
  | 'reauthenticated'
  | 'new-device'
  | 'device-trusted'
  | 'device-reported'
  | 'country-changed'
  | 'network-changed'
  | 'impossible-travel';

/** An entry to record: what happened to whom, when, and from where. */
export interface NewSecurityActivity {
  userId: UserId;
  kind: SecurityActivityKind;
  at: Date;
  sessionId?: string | null;
  deviceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown> | null;
}

/** One entry of the history, as `SecurityActivityService.list()` gives it. */
export interface SecurityActivityEntry {
  /** Increasing with time; opaque. */
  id: string;
  kind: SecurityActivityKind;
  at: Date;
  sessionId: string | null;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

/** A page of a user's history, newest first. */
export interface SecurityActivityPage {
  entries: SecurityActivityEntry[];
  /** Give it back as `cursor` for the next (older) page; null on the last one. */
  nextCursor: string | null;
}
