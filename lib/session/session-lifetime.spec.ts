import { describe, expect, it } from 'vitest';
import { SessionLifetime } from './session-lifetime.js';
import type { UserSession } from './user-session.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const created = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(created.getTime() + ms);

describe('SessionLifetime', () => {
  const absolute = new SessionLifetime({ maxAge: 24 * HOUR, idleTimeout: 0, activityInterval: MINUTE });
  const idle = new SessionLifetime({ maxAge: 24 * HOUR, idleTimeout: 30 * MINUTE, activityInterval: MINUTE });

  it('expires maxAge after creation; with idleTimeout, no later than idleTimeout after the write', () => {
    expect(absolute.expiryAt(created, at(23 * HOUR))).toEqual(at(24 * HOUR));
    expect(idle.expiryAt(created, at(HOUR))).toEqual(at(HOUR + 30 * MINUTE));
    expect(idle.expiryAt(created, at(23 * HOUR + 50 * MINUTE))).toEqual(at(24 * HOUR));
    expect(absolute.activityExpiry({ createdAt: created }, at(HOUR))).toBeUndefined();
    expect(idle.activityExpiry({ createdAt: created }, at(HOUR))).toEqual(at(HOUR + 30 * MINUTE));
    expect([absolute.slidingExpiry, idle.slidingExpiry]).toEqual([false, true]);
  });

  it('a row is valid before its expiry, and with idleTimeout only if used within it', () => {
    const row = { expireDate: at(24 * HOUR), lastActivity: at(HOUR) };
    expect(absolute.isActive(row, at(24 * HOUR - 1))).toBe(true);
    expect(absolute.isActive(row, at(24 * HOUR))).toBe(false);
    // A row written before idleTimeout was turned on: its expiry is far, its last use is not.
    expect(idle.isActive(row, at(HOUR + 29 * MINUTE))).toBe(true);
    expect(idle.isActive(row, at(HOUR + 30 * MINUTE))).toBe(false);
  });

  it('activity is due when the client changed or the last write is older than activityInterval', () => {
    const stored = (lastActivity: number, clientChanged = false) =>
      ({ stored: { lastActivity: new Date(lastActivity) }, clientChanged }) as unknown as UserSession;
    expect(absolute.activityIsDue(stored(Date.now() - 1000))).toBe(false);
    expect(absolute.activityIsDue(stored(Date.now() - 1000, true))).toBe(true);
    expect(absolute.activityIsDue(stored(Date.now() - MINUTE))).toBe(true);
    expect(absolute.activityIsDue({ stored: null, clientChanged: false } as unknown as UserSession)).toBe(false);
  });

  it("the cookie lives to the session's expiry; with idleTimeout to the absolute deadline", () => {
    const session = { createdAt: created, expireDate: at(HOUR) };
    expect(absolute.cookieExpiry(session)).toBe(at(HOUR).getTime());
    expect(idle.cookieExpiry(session)).toBe(at(24 * HOUR).getTime());
  });
});
