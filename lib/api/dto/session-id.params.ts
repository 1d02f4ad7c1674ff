import { Matches } from 'class-validator';
import { SESSION_ID_PATTERN } from '../../session/session-key.js';
import { ApiProperty } from '../openapi.js';

/** `:id` of `DELETE /account/sessions/:id`. */
export class SessionIdParams {
  /** A session id as the list returns it: 64 lower-case hex digits. */
  @ApiProperty({ pattern: SESSION_ID_PATTERN.source, description: 'A session id as the list returns it.' })
  @Matches(SESSION_ID_PATTERN, { message: 'id must be a session id as GET returns it (64 hex digits)' })
  id: string;
}
