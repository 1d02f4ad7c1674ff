import request from 'supertest';
import { DataSource, type Repository } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { useLondonGeoipDirectory } from './support/geoip-fixture.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import {
  Session,
  UserSessionsEvents,
  type DeviceAnsweredEvent,
  type NewDeviceEvent,
  type UserSessionsEvent,
  type UserSignedInEvent,
} from '../lib/index.js';
import { UserDevice } from '../lib/session/user-device.entity.js';
import { SecurityActivityRecord } from '../lib/session/security-activity.entity.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0';
const LONDON_IP = '81.2.69.160';
const DAY = 24 * 60 * 60 * 1000;

const geoipDir = useLondonGeoipDirectory('known-devices');

/** A browser: its session cookie and its device cookie, as a browser keeps them. */
interface Browser {
  userAgent: string;
  session?: string;
  device?: string;
}

describeEachDatabaseAndPlatform('Known devices, "Was this you?" and the activity history', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;
  let devices: Repository<UserDevice>;
  let activity: Repository<SecurityActivityRecord>;
  let sessions: Repository<Session>;
  const heard: UserSessionsEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startTestApp(
      database,
      {
        geoip: { path: geoipDir },
        adminPath: 'admin/sessions',
        isAdmin: ({ userId }) => userId === 'admin',
        onEvent: (event) => void heard.push(event),
      },
      { platform, trustProxy: 'loopback' },
    );
    const dataSource = t.app.get(DataSource);
    devices = dataSource.getRepository(UserDevice);
    activity = dataSource.getRepository(SecurityActivityRecord);
    sessions = dataSource.getRepository(Session);
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await sessions.clear();
    await devices.clear();
    await activity.clear();
    heard.length = 0;
  });

  const cookieHeader = (browser: Browser) =>
    [browser.session && `sessionid=${browser.session}`, browser.device && `sessionid_device=${browser.device}`].filter(Boolean).join('; ');

  /** Signs `userId` in from `browser`, keeping the cookies it is given. */
  async function signIn(browser: Browser, userId: string, ip = LONDON_IP): Promise<void> {
    const response = await request(t.url)
      .post('/login')
      .set('User-Agent', browser.userAgent)
      .set('X-Forwarded-For', ip)
      .set('Cookie', cookieHeader(browser))
      .send({ userId })
      .expect(201);
    browser.session = sessionCookie(response.headers['set-cookie']) ?? browser.session;
    browser.device = sessionCookie(response.headers['set-cookie'], 'sessionid_device') ?? browser.device;
  }

  const get = (browser: Browser, path: string) =>
    request(t.url).get(path).set('User-Agent', browser.userAgent).set('X-Forwarded-For', LONDON_IP).set('Cookie', cookieHeader(browser));
  const post = (browser: Browser | null, path: string, body: object) =>
    request(t.url)
      .post(path)
      .set('Origin', t.url)
      .set('User-Agent', browser?.userAgent ?? CHROME)
      .set('Cookie', browser ? cookieHeader(browser) : '')
      .send(body);
  const eventsOf = <T extends UserSessionsEvent>(type: string) => heard.filter((event) => event.type === type) as T[];
  const kinds = async (userId: string) => (await activity.find({ where: { userId }, order: { id: 'ASC' } })).map((entry) => entry.kind);

  it('gives a new browser a long-lived HttpOnly device cookie at sign-in, and raises one new-device event', async () => {
    const laptop: Browser = { userAgent: CHROME };
    const response = await request(t.url).post('/login').set('User-Agent', CHROME).send({ userId: 'alice' }).expect(201);
    const header = [response.headers['set-cookie']].flat().find((value: string) => value.startsWith('sessionid_device='))!;
    expect(header).toMatch(/HttpOnly/i);
    expect(header).toMatch(/Max-Age=34560000/);
    laptop.device = sessionCookie(response.headers['set-cookie'], 'sessionid_device');
    const rows = await devices.find();
    expect(rows).toHaveLength(1);
    // The cookie's digest, never the cookie.
    expect(JSON.stringify(rows)).not.toContain(laptop.device);
    expect(rows[0]).toMatchObject({ userId: 'alice', trust: 'unconfirmed' });
    const [event] = eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice);
    expect(event).toMatchObject({ userId: 'alice', deviceId: rows[0].id, device: 'Chrome on Windows' });
    expect(event.answers.confirmToken).not.toBe(event.answers.reportToken);
    expect(eventsOf<UserSignedInEvent>(UserSessionsEvents.signedIn)[0]).toMatchObject({ newDevice: true, deviceId: rows[0].id });
  });

  it('does not call a known laptop new when its session expired: only a new browser, or a new user on it, is', async () => {
    const laptop: Browser = { userAgent: CHROME };
    await signIn(laptop, 'alice');
    // The session expires and the cleanup removes it.
    await sessions.update({ userId: 'alice' }, { expireDate: new Date(Date.now() - 1000) });
    await t.store.clearExpired();
    await get(laptop, '/me').expect(401);
    heard.length = 0;

    await signIn(laptop, 'alice');
    expect(eventsOf(UserSessionsEvents.newDevice)).toEqual([]);
    expect(eventsOf<UserSignedInEvent>(UserSessionsEvents.signedIn)[0].newDevice).toBe(false);
    expect(await devices.countBy({ userId: 'alice' })).toBe(1);

    // Signed out and in again: still the same device.
    await post(laptop, '/logout', {}).expect(204);
    await signIn(laptop, 'alice');
    expect(eventsOf(UserSessionsEvents.newDevice)).toEqual([]);

    // Another browser is new; so is another user on the laptop.
    await signIn({ userAgent: FIREFOX }, 'alice');
    await signIn(laptop, 'bob');
    expect(eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice).map((event) => event.userId)).toEqual(['alice', 'bob']);
  });

  it('"Yes, this was me" trusts the device, once; the same answer again, or the other one, is refused', async () => {
    const laptop: Browser = { userAgent: CHROME };
    await signIn(laptop, 'alice');
    const { answers, deviceId } = eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice)[0];

    // Looking does not spend it (e-mail scanners open links).
    const preview = await post(null, '/account/devices/answer/preview', { token: answers.confirmToken }).expect(200);
    expect(preview.body).toMatchObject({ answer: 'confirm', device: 'Chrome on Windows', location: 'London, United Kingdom' });

    await post(null, '/account/devices/answer', { token: answers.confirmToken }).expect(200, { status: 'trusted', endedSessions: 0 });
    expect(await devices.findOneByOrFail({ id: deviceId })).toMatchObject({ trust: 'trusted', confirmDigest: null, reportDigest: null });
    expect(eventsOf<DeviceAnsweredEvent>(UserSessionsEvents.deviceTrusted)).toMatchObject([{ userId: 'alice', deviceId, endedSessions: 0 }]);

    await post(null, '/account/devices/answer', { token: answers.confirmToken }).expect(404);
    await post(null, '/account/devices/answer', { token: answers.reportToken }).expect(404);
    // The laptop stayed signed in.
    await get(laptop, '/me').expect(200, { userId: 'alice' });
    const list = await get(laptop, '/account/devices').expect(200);
    expect(list.body).toMatchObject([{ id: deviceId, trust: 'trusted', current: true, device: 'Chrome on Windows', location: 'London, United Kingdom' }]);
  });

  it('"No, this wasn\'t me" ends that device\'s sessions (not the others), reports it, and tells the app', async () => {
    const phone: Browser = { userAgent: CHROME };
    const laptop: Browser = { userAgent: FIREFOX };
    await signIn(laptop, 'alice');
    await signIn(phone, 'alice');
    const { answers, deviceId } = eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice)[1];

    await post(null, '/account/devices/answer', { token: answers.reportToken }).expect(200, { status: 'reported', endedSessions: 1 });
    await get(phone, '/me').expect(401);
    await get(laptop, '/me').expect(200, { userId: 'alice' });
    expect(await devices.findOneByOrFail({ id: deviceId })).toMatchObject({ trust: 'reported' });
    expect(eventsOf<DeviceAnsweredEvent>(UserSessionsEvents.deviceReported)).toMatchObject([{ userId: 'alice', deviceId, endedSessions: 1 }]);
    expect(heard.filter((event) => event.type === UserSessionsEvents.ended)).toMatchObject([{ endedBy: 'device-reported', scope: 'session' }]);

    // Single use; and a reported device that signs in again is asked about again.
    await post(null, '/account/devices/answer', { token: answers.confirmToken }).expect(404);
    heard.length = 0;
    await signIn(phone, 'alice');
    expect(eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice)).toMatchObject([{ deviceId }]);
  });

  it('refuses an answer that expired, that another signed-in user sends, that was tampered with, or that is junk', async () => {
    await signIn({ userAgent: CHROME }, 'alice');
    const { answers, deviceId } = eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice)[0];
    const bob: Browser = { userAgent: FIREFOX };
    await signIn(bob, 'bob');

    await post(bob, '/account/devices/answer', { token: answers.reportToken }).expect(403);
    await post(bob, '/account/devices/answer/preview', { token: answers.reportToken }).expect(403);

    const flip = (token: string, at: number) => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    await post(null, '/account/devices/answer', { token: flip(answers.reportToken, answers.reportToken.length - 1) }).expect(404);
    await post(null, '/account/devices/answer', { token: flip(answers.reportToken, 0) }).expect(404);
    await post(null, '/account/devices/answer', { token: 'junk' }).expect(404);
    await post(null, '/account/devices/answer', { token: 'x'.repeat(5000) }).expect(400);
    await post(null, '/account/devices/answer', {}).expect(400);
    await post(null, '/account/devices/answer', { token: ['a'] }).expect(400);
    await post(null, '/account/devices/answer/preview', { token: 'junk' }).expect(404);
    await post(null, '/account/devices/answer/preview', {}).expect(400);
    // The token never goes into a URL: there is no GET that takes it.
    await request(t.url).get('/account/devices/answer').query({ token: answers.reportToken }).expect(404);

    // None of that spent it; expiry does.
    expect(await devices.findOneByOrFail({ id: deviceId })).toMatchObject({ trust: 'unconfirmed' });
    await devices.update({ id: deviceId }, { answersExpireAt: new Date(Date.now() - 1000) });
    await post(null, '/account/devices/answer', { token: answers.confirmToken }).expect(410);
    expect(await devices.findOneByOrFail({ id: deviceId })).toMatchObject({ trust: 'unconfirmed' });
  });

  it('lists each kind of activity in order, newest first, a page at a time; the admin sees it too', async () => {
    const laptop: Browser = { userAgent: CHROME };
    const phone: Browser = { userAgent: FIREFOX };
    const tablet: Browser = { userAgent: FIREFOX };
    await signIn(laptop, 'alice'); // signed-in, new-device
    const laptopAnswers = eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice)[0].answers;
    await post(null, '/account/devices/answer', { token: laptopAnswers.confirmToken }).expect(200); // device-trusted
    const laptopSession = (await t.store.load(laptop.session!))!;
    await t.store.reauthenticate(laptopSession); // reauthenticated
    laptop.session = laptopSession.key!;
    await signIn(phone, 'alice'); // signed-in, new-device
    const [phoneSession] = (await t.store.listActive('alice')).filter((session) => session.userAgent === FIREFOX);
    await request(t.url).delete(`/account/sessions/${phoneSession.id}`).set('Origin', t.url).set('Cookie', cookieHeader(laptop)).expect(204); // session-ended (other-session)
    await signIn(phone, 'alice'); // signed-in
    await signIn(tablet, 'alice'); // signed-in, new-device
    await request(t.url).delete('/account/sessions').set('Origin', t.url).set('Cookie', cookieHeader(laptop)).expect(200); // other-sessions-ended
    await signIn(phone, 'alice'); // signed-in
    const tabletReport = eventsOf<NewDeviceEvent>(UserSessionsEvents.newDevice)[2].answers.reportToken;
    await post(null, '/account/devices/answer', { token: tabletReport }).expect(200, { status: 'reported', endedSessions: 0 }); // device-reported
    const admin: Browser = { userAgent: CHROME };
    await signIn(admin, 'admin');
    const [phoneAgain] = (await t.store.listActive('alice')).filter((session) => session.userAgent === FIREFOX);
    await request(t.url).delete(`/admin/sessions/${phoneAgain.id}`).set('Origin', t.url).set('Cookie', cookieHeader(admin)).expect(204); // session-ended (admin)
    await signIn(phone, 'alice'); // signed-in
    await sessions.update({ userId: 'alice', userAgent: FIREFOX }, { expireDate: new Date(Date.now() - 1000) });
    await t.store.clearExpired(); // session-ended (expiry)
    await request(t.url).delete('/admin/sessions/users/alice').set('Origin', t.url).set('Cookie', cookieHeader(admin)).expect(200); // all-sessions-ended
    await signIn(laptop, 'alice'); // signed-in
    await post(laptop, '/logout', {}).expect(204); // signed-out

    const expected = [
      ['signed-in', null], ['new-device', null], ['device-trusted', null], ['reauthenticated', null],
      ['signed-in', null], ['new-device', null], ['session-ended', 'other-session'], ['signed-in', null],
      ['signed-in', null], ['new-device', null], ['other-sessions-ended', 'other-session'], ['signed-in', null],
      ['device-reported', null], ['session-ended', 'admin'], ['signed-in', null], ['session-ended', 'expiry'],
      ['all-sessions-ended', 'admin'], ['signed-in', null], ['signed-out', 'self'],
    ];
    const stored = await activity.find({ where: { userId: 'alice' }, order: { id: 'ASC' } });
    expect(stored.map((entry) => [entry.kind, entry.details ? (JSON.parse(entry.details).endedBy ?? null) : null])).toEqual(expected);
    // A sign-out names its device and place, as the sign-in does.
    const [lastSignIn, signOut] = stored.slice(-2);
    // (The test's POSTs come without X-Forwarded-For.)
    expect(signOut).toMatchObject({ ip: '127.0.0.1', userAgent: CHROME, deviceId: lastSignIn.deviceId });
    expect(signOut.deviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);

    // The user's pages: newest first, 5 at a time, nothing twice or left out.
    const viewer: Browser = { userAgent: CHROME };
    await signIn(viewer, 'alice');
    const seen: { kind: string; id: string; location: string | null }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { entries: { kind: string; id: string; location: string | null }[]; nextCursor: string | null } } = await get(viewer, `/account/activity?limit=5${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(page.body.entries.length).toBeLessThanOrEqual(5);
      seen.push(...page.body.entries);
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen.map((entry) => entry.kind)).toEqual([...expected.map(([kind]) => kind), 'signed-in', 'new-device'].reverse());
    expect(new Set(seen.map((entry) => entry.id)).size).toBe(seen.length);
    expect(seen[1]).toMatchObject({ kind: 'signed-in', location: 'London, United Kingdom', device: 'Chrome on Windows', current: true });

    await get(viewer, '/account/activity?cursor=junk').expect(400);
    await get(viewer, '/account/activity?limit=0').expect(400);
    await get(viewer, '/account/activity?other=1').expect(400);
    await request(t.url).get('/account/activity').expect(401);

    const adminPage = await get(admin, '/admin/sessions/users/alice/activity?limit=3').expect(200);
    expect(adminPage.body.entries.map((entry: { kind: string }) => entry.kind)).toEqual(['new-device', 'signed-in', 'signed-out']);
    await get(laptop, '/admin/sessions/users/alice/activity').expect(404);
    // Bob's history is his own.
    expect(await kinds('bob')).toEqual([]);
  });

  it('costs a read request nothing more, and purges entries older than the window', async () => {
    await activity.insert({ userId: 'alice', kind: 'signed-in', at: new Date(Date.now() - 31 * DAY), details: null });
    await activity.insert({ userId: 'alice', kind: 'signed-out', at: new Date(Date.now() - 29 * DAY), details: null });
    const laptop: Browser = { userAgent: CHROME };
    await signIn(laptop, 'alice');
    await get(laptop, '/me').expect(200);
    t.queries.statements.length = 0;
    await get(laptop, '/me').expect(200, { userId: 'alice' });
    expect(t.queries.statements).toHaveLength(1);

    // Out of the window, it is not listed even before the cleanup.
    const before = await get(laptop, '/account/activity').expect(200);
    expect(before.body.entries.map((entry: { kind: string }) => entry.kind)).toEqual(['new-device', 'signed-in', 'signed-out']);
    await t.store.clearExpired();
    expect(await kinds('alice')).toEqual(['signed-out', 'signed-in', 'new-device']);
  });
});

describeEachDatabaseAndPlatform('Known devices and the history turned off', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startTestApp(database, { knownDevices: { enabled: false }, activityHistoryDays: 0 }, { platform });
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('sets no device cookie, and writes no device or history row at sign-in', async () => {
    t.queries.statements.length = 0;
    const response = await request(t.url).post('/login').set('User-Agent', CHROME).send({ userId: 'alice' }).expect(201);
    expect(sessionCookie(response.headers['set-cookie'], 'sessionid_device')).toBeUndefined();
    expect(t.queries.statements.filter((sql) => /user_devices|user_security_activity/.test(sql))).toEqual([]);
    const dataSource = t.app.get(DataSource);
    expect(await dataSource.getRepository(UserDevice).count()).toBe(0);
    expect(await dataSource.getRepository(SecurityActivityRecord).count()).toBe(0);
    const session = sessionCookie(response.headers['set-cookie']);
    const page = await request(t.url).get('/account/activity').set('Cookie', `sessionid=${session}`).expect(200);
    expect(page.body).toEqual({ entries: [], nextCursor: null });
  });
});

describe('activity history cursors', () => {
  it('are refused unless the module made them', async () => {
    const { decodeActivityCursor, encodeActivityCursor } = await import('../lib/activity/activity-cursor.js');
    expect(decodeActivityCursor(encodeActivityCursor(42))).toBe(42);
    for (const junk of ['', 'AA', Buffer.from('0').toString('base64url'), Buffer.from('99999999999').toString('base64url'), 42, null, 'a b']) {
      expect(decodeActivityCursor(junk)).toBeNull();
    }
  });
});
