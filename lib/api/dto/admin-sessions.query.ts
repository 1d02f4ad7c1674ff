import { Type } from 'class-transformer';
import { getMetadataStorage, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateBy } from 'class-validator';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../user-sessions.constants.js';
import { ApiPropertyOptional } from '../openapi.js';
import { decodeSessionListCursor } from '../../store/session-list-cursor.js';

const STATUSES = ['active', 'expired', 'all'];
const IP_PREFIX_PATTERN = /^[0-9a-fA-F.:]{1,45}$/;

/** Query of `GET /admin/sessions` (the `adminPath`). */
export class AdminSessionsQuery {
  /** `active` (unexpired, the default), `expired` (not yet cleaned up) or `all`. */
  @ApiPropertyOptional({
    enum: STATUSES,
    default: 'active',
    description: '`active`: unexpired; `expired`: expired but not yet cleaned up; `all`: both.',
  })
  @IsOptional()
  @IsIn(STATUSES, { message: "status must be 'active', 'expired' or 'all'" })
  status?: 'active' | 'expired' | 'all';

  /** Only this user's sessions; checked against `userIdType` by the controller. */
  // Its schema follows `userIdType`: set by the module (user-sessions.openapi.ts).
  @IsOptional()
  @IsString({ message: 'userId must be a single user id' })
  @Length(1, 255, { message: 'userId must be 1 to 255 characters' })
  userId?: string;

  /** The start of an IP address: IPv4 or IPv6 characters only, so no LIKE wildcard gets in. */
  @ApiPropertyOptional({
    pattern: IP_PREFIX_PATTERN.source,
    example: '203.0.113.',
    description: 'Only sessions whose IP address starts with this.',
  })
  @IsOptional()
  @IsString({ message: 'ipPrefix must be a single IP prefix' })
  @Matches(IP_PREFIX_PATTERN, {
    message: "ipPrefix must be the start of an IPv4 or IPv6 address (digits, a-f, '.' and ':'), such as '203.0.113.' or '2001:db8:'",
  })
  ipPrefix?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT, description: 'Sessions per page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number of sessions' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_LIST_LIMIT, { message: `limit must be at most ${MAX_LIST_LIMIT} sessions per page` })
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @ApiPropertyOptional({ type: String, description: 'The `nextCursor` of the previous page, unchanged.' })
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

/**
 * The names in a raw query string that are no parameter of `AdminSessionsQuery`, read before any
 * pipe: an app's own global `ValidationPipe({ whitelist: true })` would strip them before the
 * route's strict pipe could refuse them, and a mistyped filter (`userid`) would list every
 * user's sessions.
 */
export function unknownAdminQueryParameters(query: unknown): string[] {
  if (query === null || typeof query !== 'object') return [];
  const known = new Set(getMetadataStorage().getTargetValidationMetadatas(AdminSessionsQuery, '', true, false).map((rule) => rule.propertyName));
  return Object.keys(query).filter((name) => !known.has(name));
}
