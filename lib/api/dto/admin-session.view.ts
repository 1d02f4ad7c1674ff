import type { UserId } from '../../session/user-id.js';
import { ApiProperty } from '../openapi.js';
import { BaseSessionView } from './session.view.js';

/** One line of `GET /admin/sessions` (the `adminPath`): a session of any user, never its key. */
export class AdminSessionView extends BaseSessionView {
  /** The signed-in user, or null for an anonymous session. */
  // Its schema follows `userIdType`: set by the module (user-sessions.openapi.ts).
  userId: UserId | null;

  /** Created, or last signed in (`maxAge` counts from it). */
  @ApiProperty({ type: String, format: 'date-time', description: 'Created, or last signed in (`maxAge` counts from it).' })
  createdAt: string;

  /** Not expired (nor idle longer than `idleTimeout`): its cookie still signs in. */
  @ApiProperty({ description: 'Not expired (nor idle longer than `idleTimeout`): its cookie still signs in.' })
  valid: boolean;
}

/** Answer of `GET /admin/sessions`. */
export class AdminSessionsPage {
  @ApiProperty({ type: [AdminSessionView] })
  sessions: AdminSessionView[];

  /** Pass it back as `?cursor=` (with the same filters) for the next page; null on the last. */
  @ApiProperty({ type: String, nullable: true, description: 'Pass it back as `cursor` (with the same filters) for the next page; null on the last.' })
  nextCursor: string | null;
}

/** Answer of `DELETE /admin/sessions/users/:userId`. */
export class EndUserSessionsResult {
  /** How many sessions the user had (expired ones included), all ended now. */
  @ApiProperty({ type: 'integer', minimum: 0, description: 'How many sessions the user had (expired ones included), all ended now.' })
  ended: number;
}
