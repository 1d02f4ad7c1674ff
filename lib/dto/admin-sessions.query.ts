import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateBy } from 'class-validator';
import { MAX_LIST_LIMIT } from '../user-sessions.constants.js';
import { decodeSessionListCursor } from '../session-list-cursor.js';

/** Query of `GET /admin/sessions` (the `adminPath`). */
export class AdminSessionsQuery {
  /** `active` (unexpired, the default), `expired` (not yet cleaned up) or `all`. */
  @IsOptional()
  @IsIn(['active', 'expired', 'all'], { message: "status must be 'active', 'expired' or 'all'" })
  status?: 'active' | 'expired' | 'all';

  /** Only this user's sessions; checked against `userIdType` by the controller. */
  @IsOptional()
  @IsString({ message: 'userId must be a single user id' })
  @Length(1, 255, { message: 'userId must be 1 to 255 characters' })
  userId?: string;

  /** The start of an IP address: IPv4 or IPv6 characters only, so no LIKE wildcard gets in. */
  @IsOptional()
  @IsString({ message: 'ipPrefix must be a single IP prefix' })
  @Matches(/^[0-9a-fA-F.:]{1,45}$/, {
    message: "ipPrefix must be the start of an IPv4 or IPv6 address (digits, a-f, '.' and ':'), such as '203.0.113.' or '2001:db8:'",
  })
  ipPrefix?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number of sessions' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_LIST_LIMIT, { message: `limit must be at most ${MAX_LIST_LIMIT} sessions per page` })
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @ValidateBy({
    name: 'isSessionListCursor',
    validator: {
      validate: (value: unknown) => decodeSessionListCursor(value) !== null,
      defaultMessage: () => 'cursor must be the nextCursor of a previous page, unchanged',
    },
  })
  cursor?: string;
}
