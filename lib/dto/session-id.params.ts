import { Matches } from 'class-validator';

/** `:id` of `DELETE /account/sessions/:id`. */
export class SessionIdParams {
  /** A session id as the list returns it: 64 lower-case hex digits. */
  @Matches(/^[0-9a-f]{64}$/, { message: 'id must be a session id as GET returns it (64 hex digits)' })
  id: string;
}
