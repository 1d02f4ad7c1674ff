import { describe, expect, it } from 'vitest';
import type { UserSession } from '../session/user-session.js';
import type { RequestSessionHandle } from '../http/request-session-handle.js';
import { LiveConnection } from './live-connection.js';
import { LiveConnectionRegistry } from './live-connection.registry.js';

/** A ws-like socket that records how it was closed. */
function socket() {
  return { readyState: 1, closedWith: null as [number, string] | null, close(code: number, reason: string) { this.closedWith = [code, reason]; this.readyState = 3; }, once: () => undefined };
}

function connection(id: string | null, userId: string | number | null, active = true) {
  const session: { id: string | null; userId: string | number | null; active: boolean; markEnded(): void } = {
    id,
    userId,
    active,
    markEnded() {
      this.userId = null;
    },
  };
  return new LiveConnection(socket(), {} as RequestSessionHandle, session as unknown as UserSession);
}

describe('LiveConnectionRegistry', () => {
  const looksExpired: LiveConnection[] = [];
  const registry = () =>
    new LiveConnectionRegistry(
      (session) => (session as unknown as { active: boolean }).active,
      (connection) => looksExpired.push(connection),
    );

  it('ends the connections of one session, and no other', () => {
    const live = registry();
    const [a, b, other] = [connection('s1', 'ada'), connection('s1', 'ada'), connection('s2', 'ada')];
    for (const c of [a, b, other]) live.add(c, Date.now());
    live.end({ sessionId: 's1', userId: 'ada' });
    expect([a.ended, b.ended, other.ended]).toEqual([true, true, false]);
    expect((a.socket as ReturnType<typeof socket>).closedWith).toEqual([4401, 'Session ended.']);
    expect(a.session.userId).toBeNull();
    expect(live.size).toBe(1);
    live.stop();
  });

  it("ends a user's connections but the kept session's; a numeric user id matches its string", () => {
    const live = registry();
    const [kept, ended, someoneElse] = [connection('s1', 7), connection('s2', 7), connection('s3', 8)];
    for (const c of [kept, ended, someoneElse]) live.add(c, Date.now());
    live.end({ userId: '7', exceptSessionId: 's1' });
    expect([kept.ended, ended.ended, someoneElse.ended]).toEqual([false, true, false]);
    live.end({ userId: 7, exceptSessionId: null });
    expect(kept.ended).toBe(true);
    live.stop();
  });

  it('a connection whose session ended while it loaded is closed as it is added', () => {
    const live = registry();
    const loadedAt = Date.now();
    live.end({ sessionId: 's1', userId: 'ada' });
    const late = connection('s1', 'ada');
    expect(live.add(late, loadedAt)).toBe(false);
    expect(late.ended).toBe(true);
    expect(live.size).toBe(0);
  });

  it('an anonymous connection without a stored session is not kept, and not ended by anything', () => {
    const live = registry();
    const anonymous = connection(null, null);
    expect(live.add(anonymous, Date.now())).toBe(true);
    expect(live.size).toBe(0);
  });

  it('finds, within a second, the connections whose session looks expired, for the caller to check; close() then ends one', async () => {
    const live = registry();
    const expiring = connection('s1', 'ada');
    const fresh = connection('s2', 'ada');
    live.add(expiring, Date.now());
    live.add(fresh, Date.now());
    (expiring.session as unknown as { active: boolean }).active = false;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(looksExpired).toContain(expiring);
    expect(looksExpired).not.toContain(fresh);
    live.close(expiring, 'Session expired.');
    expect((expiring.socket as ReturnType<typeof socket>).closedWith).toEqual([4401, 'Session expired.']);
    expect(live.size).toBe(1);
    live.stop();
  });
});
