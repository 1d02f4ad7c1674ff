/** How the app identifies its users; decides the type of the `user_id` column. */
export type UserIdType = 'string' | 'number' | 'uuid';

/** A user id as the app uses it: a string (also for UUIDs) or an integer. */
export type UserId = string | number;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * What no database gives back as it was given: PostgreSQL refuses NUL in text (the query
 * fails), and every driver stores a lone UTF-16 surrogate as U+FFFD, so the id read back would
 * differ from the one signed in.
 */
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/**
 * A user id in the form the `user_id` column holds for `type` (a safe integer, a lower-case
 * UUID, or a string of 1 to 255 characters without NUL or lone surrogates), or null when it
 * does not fit. Numeric strings (from a URL, say) become numbers for `'number'`.
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
      return typeof value === 'string' && value.length > 0 && value.length <= 255 && !UNSTORABLE.test(value) ? value : null;
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
      return 'a string of 1 to 255 characters, without NUL or lone surrogates';
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
    `User id ${preview(userId)} does not fit userIdType '${userIdType}' (${describeUserIdType(userIdType)}); ` +
      'set the userIdType option to the type of your user ids.',
  );
}

/**
 * A short description of a value for an error message. Not JSON.stringify: a request body
 * passed through can be megabytes long, nested deeper than the stack, or circular.
 */
function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
