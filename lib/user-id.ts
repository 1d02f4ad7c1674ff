import type { UserId, UserIdType } from './user-sessions-module-options.interface.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A user id in the form the `user_id` column of `userIdType` stores: a safe integer (also
 * from a string of digits), a lower-case UUID, or a string of 1 to 255 characters (also from
 * a number). Throws a TypeError that names the fix for anything else.
 */
export function normalizeUserId(userId: unknown, userIdType: UserIdType): UserId {
  switch (userIdType) {
    case 'number': {
      const value = typeof userId === 'string' && /^-?\d{1,16}$/.test(userId) ? Number(userId) : userId;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      break;
    }
    case 'uuid':
      if (typeof userId === 'string' && UUID_PATTERN.test(userId)) return userId.toLowerCase();
      break;
    default: {
      const value = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId;
      if (typeof value === 'string' && value.length > 0 && value.length <= 255) return value;
    }
  }
  throw new TypeError(
    `User id ${JSON.stringify(userId)} does not fit userIdType '${userIdType}'; set the userIdType option to the type of your user ids.`,
  );
}
