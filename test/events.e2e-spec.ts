import { Logger } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { useLondonGeoipDirectory } from './support/geoip-fixture.js';
import { QueryCounter, sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import {
  Session,
  SessionDetailsService,
  UserSessionsEvents,
  type SessionEndedEvent,
  type UserSession,
  type UserSessionsEvent,
  type UserSessionsEventType,
  type UserSignedInEvent,
} from '../lib/index.js';
import { DataSource, type Repository } from 'typeorm';

const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const LONDON_IP = '81.2.69.160';

const geoipDir = useLondonGeoipDirectory('events');

/** The fields of each event: nothing more may reach a listener (no session object, no key). */
const FIELDS: Record<UserSessionsEventType, string[]> = {
  [UserSessionsEvents.created]: ['at', 'ip', 'sessionId', 'type', 'userAgent', 'userId'],
  [UserSessionsEvents.signedIn]: [
    'at', 'browser', 'device', 'deviceId', 'ip', 'location', 'newDevice', 'newIp', 'platform', 'sessionId', 'type', 'userAgent', 'userId',
  ],
  [UserSessionsEvents.ended]: ['actor', 'at', 'count', 'endedBy', 'keptSessionId', 'reason', 'scope', 'sessionId', 'type', 'userId'],
  [UserSessionsEvents.theftSuspected]: ['at', 'currentKeyDevice', 'previousKeyDevice', 'sessionId', 'type', 'userId'],
  [UserSessionsEvents.newDevice]: [
    'answers', 'at', 'browser', 'device', 'deviceId', 'ip', 'location', 'platform', 'sessionId', 'type', 'userAgent', 'userId',
  ],
  [UserSessionsEvents.deviceTrusted]: ['at', 'browser', 'device', 'deviceId', 'endedSessions', 'ip', 'location', 'platform', 'type', 'userAgent', 'userId'],
  [UserSessionsEvents.deviceReported]: ['at', 'browser', 'device', 'deviceId', 'endedSessions', 'ip', 'location', 'platform', 'type', 'userAgent', 'userId'],
  [UserSessionsEvents.placeChanged]: ['at', 'change', 'from', 'recentLoginRequired', 'sessionId', 'to', 'type', 'userId'],
  [UserSessionsEvents.impossibleTravel]: ['at', 'distanceKm', 'from', 'sessionId', 'speedKmh', 'to', 'type', 'userId'],
};

/** The app's EventEmitter2 and what its listeners heard, with the keys a test handed out. */
function useEventsApp(kind: Parameters<typeof createTestDatabase>[0]) {
  const context = {} as TestApp & { emitter: EventEmitter2; sessions: Repository<Session> };
  const heard: UserSessionsEvent[] = [];
  const keys: string[] = [];
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    Object.assign(
      context,
      await startTestApp(
        database,
        { adminPath: 'admin/sessions', isAdmin: ({ userId }) => userId === 'admin', geoip: { path: geoipDir }, cleanupBatchSize: 2 },
        undefined,
        new QueryCounter(),
        [EventEmitterModule.forRoot()],
      ),
    );
    context.emitter = context.app.get(EventEmitter2);
    context.sessions = context.app.get(DataSource).getRepository(Session);
  });
  afterAll(async () => {
    await context.close?.();
    await database?.drop();
  });
  beforeEach(async () => {
    await context.sessions.clear();
  });
  afterEach(() => {
    // No key of the test's sessions in anything a listener got.
    for (const key of keys) expect(JSON.stringify(heard)).not.toContain(key);
    for (const event of heard) expect(Object.keys(event).sort()).toEqual(FIELDS[event.type]);
    context.emitter.removeAllListeners();
    heard.length = 0;
    keys.length = 0;
    vi.restoreAllMocks();
  });

  /** Collects the events of these types, as an app's listeners would. */
  function listen(...types: UserSessionsEventType[]): void {
    for (const type of types) context.emitter.on(type, (event: UserSessionsEvent) => void heard.push(event));
  }
  /** Signs `userId` in over HTTP (a new cookie jar each time); returns the session key. */
  async function login(userId: string, userAgent = WINDOWS_CHROME): Promise<string> {
    const response = await request(context.url).post('/login').set('User-Agent', userAgent).send({ userId }).expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    keys.push(key);
    return key;
  }
  /** A signed-in session made by the store, from `ip` with `userAgent`. */
  async function signIn(userId: string, ip: string, userAgent: string): Promise<UserSession> {
    const session = await context.store.create({ ip, userAgent });
    await context.store.login(session, userId);
    keys.push(session.key!);
    return session;
  }
  const as = (key: string) => ({ Cookie: `sessionid=${key}`, 'User-Agent': WINDOWS_CHROME });
  return { t: context, heard, keys, listen, login, signIn, as };
}

describeEachDatabase('events', (kind) => {
  const { t, heard, keys, listen, login, signIn, as } = useEventsApp(kind);
  const ended = () => heard.filter((event): event is SessionEndedEvent => event.type === UserSessionsEvents.ended);

  it('created: the first write of a session, anonymous or signed in; never its key', async () => {
    listen(UserSessionsEvents.created);
    const response = await request(t.url).post('/data').set('User-Agent', IPHONE_SAFARI).send({ name: 'cart', value: [1] }).expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    keys.push(key);
    // Later writes of the same session are not a creation.
    await request(t.url).post('/data').set(as(key)).send({ name: 'cart', value: [2] }).expect(201);
    const made = await t.store.create({ userId: 'carol', ip: '192.0.2.1', userAgent: 'Cli/1.0' });
    keys.push(made.key!);

    expect(heard).toEqual([
      { type: 'user-sessions.created', sessionId: digestSessionKey(key), userId: null, ip: '127.0.0.1', userAgent: IPHONE_SAFARI, at: expect.any(Date) },
      { type: 'user-sessions.created', sessionId: made.id, userId: 'carol', ip: '192.0.2.1', userAgent: 'Cli/1.0', at: expect.any(Date) },
    ]);
  });

  it('signed-in: device and location, and newDevice / newIp true, then false for what the other sessions know', async () => {
    listen(UserSessionsEvents.signedIn, UserSessionsEvents.created);
    const first = await signIn('alice', LONDON_IP, WINDOWS_CHROME);
    const signedIn = () => heard.filter((event): event is UserSignedInEvent => event.type === UserSessionsEvents.signedIn);
    // login() of a session not stored yet starts a row: created, then signed in.
    expect(heard.map((event) => event.type)).toEqual(['user-sessions.created', 'user-sessions.signed-in']);
    expect(signedIn()[0]).toEqual({
      type: 'user-sessions.signed-in',
      sessionId: first.id,
      userId: 'alice',
      ip: LONDON_IP,
      userAgent: WINDOWS_CHROME,
      device: 'Chrome on Windows',
      browser: 'Chrome',
      platform: 'Windows',
      location: 'London, United Kingdom',
      // Signed in outside HTTP: no browser to give a device cookie to (see known-devices.e2e-spec.ts).
      newDevice: true,
      deviceId: null,
      newIp: true,
      at: expect.any(Date),
    });

    await signIn('alice', LONDON_IP, WINDOWS_CHROME);
    await signIn('alice', LONDON_IP, IPHONE_SAFARI);
    await signIn('alice', '192.0.2.7', WINDOWS_CHROME);
    // Another user's sessions are no one else's history.
    await signIn('bob', LONDON_IP, WINDOWS_CHROME);
    expect(signedIn().map(({ userId, newDevice, newIp }) => [userId, newDevice, newIp])).toEqual([
      ['alice', true, true],
      ['alice', false, false],
      ['alice', true, false],
      ['alice', false, true],
      ['bob', true, true],
    ]);
  });

  it('signed-in: expired sessions and the session itself (signing in again) do not count as known', async () => {
    listen(UserSessionsEvents.signedIn);
    const old = await signIn('alice', LONDON_IP, WINDOWS_CHROME);
    await t.sessions.update({ id: old.id! }, { expireDate: new Date(Date.now() - 60_000) });
    await signIn('alice', LONDON_IP, WINDOWS_CHROME);
    const again = await signIn('dave', '192.0.2.9', IPHONE_SAFARI);
    await t.store.login(again, 'dave');
    expect(heard.map((event) => [(event as UserSignedInEvent).newDevice, (event as UserSignedInEvent).newIp])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [true, true],
    ]);
  });

  it('signed-in over HTTP: the request that logs in hears nothing unusual, its IP and user agent are in the event', async () => {
    listen(UserSessionsEvents.signedIn);
    const key = await login('alice', IPHONE_SAFARI);
    expect(heard).toEqual([
      expect.objectContaining({ sessionId: digestSessionKey(key), userId: 'alice', ip: '127.0.0.1', device: 'Safari on iPhone', location: null }),
    ]);
  });

  it("ended by 'self': sign out, and ending one's current session from the list", async () => {
    listen(UserSessionsEvents.ended);
    const key = await login('alice');
    await request(t.url).post('/logout').set(as(key)).expect(204);
    const other = await login('alice');
    await request(t.url).delete(`/account/sessions/${digestSessionKey(other)}`).set(as(other)).expect(204);
    // Nothing ended, nothing heard: a second sign-out of the same key.
    await request(t.url).post('/logout').set(as(key)).expect(204);

    expect(ended()).toEqual(
      [key, other].map((k) => ({
        type: 'user-sessions.ended',
        endedBy: 'self',
        scope: 'session',
        sessionId: digestSessionKey(k),
        keptSessionId: null,
        userId: 'alice',
        count: 1,
        actor: { userId: 'alice', sessionId: digestSessionKey(k) },
        reason: null,
        at: expect.any(Date),
      })),
    );
  });

  it("ended by 'other-session': ending another session, and all others", async () => {
    listen(UserSessionsEvents.ended);
    const laptop = await login('alice');
    const phone = await login('alice', IPHONE_SAFARI);
    const tablet = await login('alice', IPHONE_SAFARI.replace('iPhone;', 'iPad;'));
    const spare = await login('alice');
    await request(t.url).delete(`/account/sessions/${digestSessionKey(phone)}`).set(as(laptop)).expect(204);
    await request(t.url).delete('/account/sessions').set(as(laptop)).expect(200, { deleted: 2 });
    // All others again: none left, nothing heard.
    await request(t.url).delete('/account/sessions').set(as(laptop)).expect(200, { deleted: 0 });

    const actor = { userId: 'alice', sessionId: digestSessionKey(laptop) };
    expect(ended()).toEqual([
      expect.objectContaining({ endedBy: 'other-session', scope: 'session', sessionId: digestSessionKey(phone), userId: 'alice', count: 1, actor }),
      expect.objectContaining({ endedBy: 'other-session', scope: 'others', sessionId: null, keptSessionId: digestSessionKey(laptop), userId: 'alice', count: 2, actor }),
    ]);
    expect([tablet, spare].every((key) => !JSON.stringify(heard).includes(key))).toBe(true);
  });

  it("ended by 'admin': the admin API, and the store's defaults for delete(id) and deleteAllForUser()", async () => {
    listen(UserSessionsEvents.ended);
    const admin = await login('admin');
    const bobLaptop = await signIn('bob', '192.0.2.1', WINDOWS_CHROME);
    await signIn('bob', '192.0.2.2', IPHONE_SAFARI);
    const carol = await signIn('carol', '192.0.2.3', WINDOWS_CHROME);
    await signIn('carol', '192.0.2.4', WINDOWS_CHROME);

    await request(t.url).delete(`/admin/sessions/${bobLaptop.id}`).set(as(admin)).expect(204);
    await request(t.url).delete('/admin/sessions/users/bob').set(as(admin)).expect(200, { ended: 1 });
    await t.store.delete(carol.id!);
    await t.store.deleteAllForUser('carol');
    await request(t.url).delete(`/admin/sessions/${bobLaptop.id}`).set(as(admin)).expect(404);

    const actor = { userId: 'admin', sessionId: digestSessionKey(admin) };
    expect(ended()).toEqual([
      expect.objectContaining({ endedBy: 'admin', scope: 'session', sessionId: bobLaptop.id, userId: 'bob', count: 1, actor }),
      expect.objectContaining({ endedBy: 'admin', scope: 'user', sessionId: null, userId: 'bob', count: 1, actor }),
      expect.objectContaining({ endedBy: 'admin', scope: 'session', sessionId: carol.id, userId: 'carol', count: 1, actor: null }),
      expect.objectContaining({ endedBy: 'admin', scope: 'user', userId: 'carol', count: 1, actor: null }),
    ]);
  });

  it('the caller of the store says who ended sessions when the default is wrong', async () => {
    listen(UserSessionsEvents.ended);
    const session = await signIn('erin', '192.0.2.1', WINDOWS_CHROME);
    await signIn('erin', '192.0.2.2', WINDOWS_CHROME);
    // "Sign out everywhere", this session included, by the user.
    await t.store.deleteAllForUser('erin', { endedBy: 'self', actor: session });
    expect(ended()).toEqual([
      expect.objectContaining({ endedBy: 'self', scope: 'user', userId: 'erin', count: 2, actor: { userId: 'erin', sessionId: session.id } }),
    ]);
  });

  it('signOutEverywhere(): all of the user\'s sessions but the one that made the change, or all, with the reason', async () => {
    listen(UserSessionsEvents.ended);
    const kept = await signIn('frank', '192.0.2.1', WINDOWS_CHROME);
    const stolen = await signIn('frank', '192.0.2.66', IPHONE_SAFARI);
    const other = await signIn('grace', '192.0.2.2', WINDOWS_CHROME);
    expect(await t.store.signOutEverywhere('frank', 'password-changed', { keep: kept })).toBe(1);
    expect(await t.store.exists(kept.key!)).toBe(true);
    expect(await t.store.exists(stolen.key!)).toBe(false);
    await expect(t.store.signOutEverywhere('frank', 'password-changed', { keep: other })).rejects.toThrow(/not one of user "frank"'s/);
    expect(await t.store.signOutEverywhere('frank', 'account-locked')).toBe(1);
    expect(await t.store.exists(kept.key!)).toBe(false);
    expect(await t.store.exists(other.key!)).toBe(true);

    expect(ended()).toEqual([
      expect.objectContaining({ endedBy: 'other-session', scope: 'others', keptSessionId: kept.id, userId: 'frank', count: 1, reason: 'password-changed', actor: { userId: 'frank', sessionId: kept.id } }),
      expect.objectContaining({ endedBy: 'admin', scope: 'user', userId: 'frank', count: 1, reason: 'account-locked', actor: null }),
    ]);
  });

  it("ended by 'expiry': one event per cleanup run, with the count, however many batches it took", async () => {
    listen(UserSessionsEvents.ended);
    for (let i = 0; i < 5; i++) await signIn(`user${i}`, '192.0.2.1', WINDOWS_CHROME);
    await signIn('alive', '192.0.2.1', WINDOWS_CHROME);
    await t.sessions.createQueryBuilder().update().set({ expireDate: new Date(Date.now() - 60_000) }).where('user_id != :alive', { alive: 'alive' }).execute();
    const progress: number[] = [];
    // cleanupBatchSize is 2: three DELETE statements.
    expect(await t.store.clearExpired({ onProgress: (deleted) => progress.push(deleted) })).toBe(5);
    expect(progress).toEqual([2, 4, 5]);
    expect(await t.store.clearExpired()).toBe(0);
    expect(ended()).toEqual([
      { type: 'user-sessions.ended', endedBy: 'expiry', scope: 'expired', sessionId: null, keptSessionId: null, userId: null, count: 5, actor: null, reason: null, at: expect.any(Date) },
    ]);
  });

  it('a throwing or rejecting listener is logged and never breaks the request', async () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    t.emitter.on(UserSessionsEvents.signedIn, () => {
      throw new Error('listener bug');
    });
    t.emitter.on(UserSessionsEvents.ended, async () => {
      throw new Error('audit log down');
    });
    const key = await login('alice');
    await request(t.url).get('/me').set(as(key)).expect(200, { userId: 'alice' });
    await request(t.url).post('/logout').set(as(key)).expect(204);
    await request(t.url).get('/me').set(as(key)).expect(401);
    await vi.waitFor(() => expect(errors).toHaveBeenCalledTimes(2));
    expect(errors.mock.calls.map(([message]) => String(message))).toEqual([
      'A listener of "user-sessions.signed-in" failed: listener bug',
      'A listener of "user-sessions.ended" failed: audit log down',
    ]);
  });

  it('with nobody listening to sign-ins, a login costs what it did: no lookup, no device or location', async () => {
    const describe = vi.spyOn(t.app.get(SessionDetailsService), 'describe');
    const statementsOfLogin = async () => {
      t.queries.reset();
      await login('alice');
      return t.queries.sessionStatements();
    };
    const quiet = await statementsOfLogin();
    // A new session's login is its one INSERT.
    expect(quiet).toHaveLength(1);
    expect(quiet[0]).toMatch(/^INSERT/i);
    listen(UserSessionsEvents.ended, UserSessionsEvents.created);
    expect(await statementsOfLogin()).toEqual(quiet);
    expect(describe).not.toHaveBeenCalled();

    listen(UserSessionsEvents.signedIn);
    const heard = await statementsOfLogin();
    expect(heard).toHaveLength(2);
    expect(heard[1]).toMatch(/^SELECT .* WHERE .*user_id/is);
    expect(describe).toHaveBeenCalledTimes(1);
  });
});

describe('events to an onEvent callback and EventEmitter2 at once, with wildcards', () => {
  let database: TestDatabase;
  let t: TestApp;
  const called: UserSessionsEvent[] = [];
  const emitted: [string, UserSessionsEvent][] = [];
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    t = await startTestApp(database, { onEvent: (event) => void called.push(event) }, undefined, new QueryCounter(), [
      EventEmitterModule.forRoot({ wildcard: true }),
    ]);
    const emitter = t.app.get(EventEmitter2);
    emitter.on('user-sessions.*', function (this: { event: string }, event: UserSessionsEvent) {
      emitted.push([this.event, event]);
    });
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('both hear every event, the same object, under its name', async () => {
    const response = await request(t.url).post('/login').send({ userId: 'alice' }).expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    await request(t.url).post('/logout').set('Cookie', `sessionid=${key}`).expect(204);
    expect(called.map((event) => event.type)).toEqual(['user-sessions.created', 'user-sessions.signed-in', 'user-sessions.new-device', 'user-sessions.ended']);
    expect(emitted.map(([name]) => name)).toEqual(called.map((event) => event.type));
    emitted.forEach(([, event], i) => expect(event).toBe(called[i]));
    expect(JSON.stringify(called)).not.toContain(key);
  });
});
