import { Throttle, type ThrottlerOptions } from '@nestjs/throttler';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How many password attempts (`POST /auth/login`, `POST /auth/reauthenticate`) are let
 * through, as @nestjs/throttler's named throttlers: per client IP, and per account whatever IP
 * it is tried from. Past a limit, the IP or account gets 429 until its block ends. Each has two
 * windows, which makes the backoff: a burst is blocked for a minute; an attacker who waits out
 * the minute and goes on reaches the hourly limit, and is blocked for an hour.
 *
 * Every attempt with a well-formed body counts, right or wrong: a success is an attempt too.
 * The IP limits are higher, as people behind one NAT share an address.
 */
export const SIGN_IN_LIMITS: ThrottlerOptions[] = [
  { name: 'ip-minute', limit: 20, ttl: MINUTE, blockDuration: MINUTE },
  { name: 'ip-hour', limit: 100, ttl: HOUR, blockDuration: HOUR },
  { name: 'account-minute', limit: 5, ttl: MINUTE, blockDuration: MINUTE },
  { name: 'account-hour', limit: 20, ttl: HOUR, blockDuration: HOUR },
];

/** The per-account throttlers of `SIGN_IN_LIMITS`; the others count per IP. */
export const ACCOUNT_THROTTLERS = ['account-minute', 'account-hour'];

/**
 * Says whose account a request to a `SignInThrottlerGuard` route tries: `account` reads it
 * from the request, which the guards before have checked.
 *
 * @example @ThrottleAccount((request) => request.user.id)
 */
export function ThrottleAccount(account: (request: Record<string, any>) => string | number): MethodDecorator & ClassDecorator {
  const getTracker = (request: Record<string, any>) => String(account(request));
  return Throttle(Object.fromEntries(ACCOUNT_THROTTLERS.map((name) => [name, { getTracker }])));
}

/**
 * A username as an account key. The database may find alice under "Alice", "alice " or
 * "álice" (MariaDB's utf8mb4_unicode_ci does), so case, accents, invisible characters and
 * trailing spaces are folded: no spelling gets a budget of its own.
 */
export function usernameKey(username: string): string {
  return username
    .normalize('NFKD')
    .replace(/[\p{M}\p{Default_Ignorable_Code_Point}]/gu, '')
    .toUpperCase()
    .toLowerCase()
    .trimEnd();
}
