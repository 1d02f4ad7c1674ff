import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, ValidateBy } from 'class-validator';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../user-sessions.constants.js';
import { ApiPropertyOptional } from '../openapi.js';
import { decodeActivityCursor } from '../../activity/activity-cursor.js';

/** Query of `GET {path}/activity` and the admin's `GET {adminPath}/users/:userId/activity`. */
export class ActivityQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT, description: 'Entries per page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}` })
  @Max(MAX_LIST_LIMIT, { message: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString({ message: 'cursor must be the nextCursor of a page' })
  @ValidateBy({ name: 'isActivityCursor', validator: { validate: (value) => decodeActivityCursor(value) !== null, defaultMessage: () => 'cursor must be the nextCursor of a page' } })
  cursor?: string;
}
