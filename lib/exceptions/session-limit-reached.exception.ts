import { ConflictException } from '@nestjs/common';

/** One of the user's sessions, as the refusal lists it. */
export interface SessionLimitEntry {
  /** The session's public id: sign in again with `login(session, userId, { endSession: id })` to end it. */
  id: string;
  device: string | null;
  browser: string | null;
  platform: string | null;
  location: string | null;
  lastActivity: string;
}

/**
 * The user already has `maxSessionsPerUser` sessions and the module refuses a new one
 * (`sessionLimitStrategy: 'refuse'`). Answered 409 with the sessions, most recent first, so
 * that the sign-in page can ask which one to end:
 * `{ statusCode: 409, error: 'Conflict', message: 'Session limit reached', sessionLimit: 3, sessions: [...] }`.
 */
export class SessionLimitReachedException extends ConflictException {
  constructor(
    readonly limit: number,
    readonly sessions: SessionLimitEntry[],
  ) {
    super({ statusCode: 409, error: 'Conflict', message: 'Session limit reached', sessionLimit: limit, sessions });
  }
}
