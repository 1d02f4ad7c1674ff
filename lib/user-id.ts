import type { UserId, UserIdType } from './user-sessions-module-options.interface.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A user id in the form the `user_id` column holds for `type` (a safe integer, a lower-case
 * UUID, or a string of 1 to 255 characters), or null when it does not fit. Numeric strings
 * (from a URL, say) become numbers for `'number'`.
 */
export function parseUserId(userId: unknown, type: UserIdType): UserId | null {
  switch (type) {
    case 'number': {
      const value = typeof userId === 'string' && /^-?\d{1,16}$/.test(userId) ? Number(userId) : userId;
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
    }
    case 'uuid':
      return typeof userId === 'string' && UUID_PATTERN.test(userId) ? userId.toLowerCase() : null;
    default: {
      const value = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId;
      return typeof value === 'string' && value.length > 0 && value.length <= 255 ? value : null;
    }
  }
}

/** What `parseUserId()` accepts for `type`, for error messages. */
export function describeUserIdType(type: UserIdType): string {
  switch (type) {
    case 'number':
      return 'a whole number';
    case 'uuid':
      return 'a UUID';
    default:
      return 'a string of 1 to 255 characters';
  }
}

/**
 * `parseUserId()` for ids the app hands us: anything that does not fit is a TypeError that
 * names the fix.
 */
export function normalizeUserId(userId: unknown, userIdType: UserIdType): UserId {
  const parsed = parseUserId(userId, userIdType);
  if (parsed !== null) return parsed;
  throw new TypeError(
    `User id ${JSON.stringify(userId)} does not fit userIdType '${userIdType}'; set the userIdType option to the type of your user ids.`,
  );
}
