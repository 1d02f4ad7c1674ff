import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource, type Repository } from 'typeorm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import { asUint32, writeMmdb } from './support/mmdb-writer.js';
import { Session, UserSessionsEvents, type ImpossibleTravelEvent, type PlaceChangedEvent, type UserSessionsEvent } from '../lib/index.js';
import { UserDevice } from '../lib/session/user-device.entity.js';
import { SecurityActivityRecord } from '../lib/session/security-activity.entity.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const CHROME_UPDATED = CHROME.replace('Chrome/131', 'Chrome/132');

// Addresses of MaxMind's own test databases.
const LONDON = '81.2.69.142';
const LONDON_TOO = '81.2.69.160';
const BOXFORD = '2.125.160.216'; // England, about 80 km from London, another network
const LINKOPING = '89.160.20.112'; // Sweden, about 1,400 km from London
const CHANGCHUN = '175.16.199.1'; // China, about 8,000 km from London
const PRIVATE = '10.1.2.3';

const MAXMIND_CITY_TEST = join(import.meta.dirname, '../../shared/geoip/GeoLite2-City-Test.mmdb');

/**
 * MaxMind's GeoLite2-City test database when `../shared` has it; otherwise the same records,
 * written here, so that the suite runs anywhere. And a GeoLite2-ASN database (MaxMind ships no
 * test copy of that one here): London's two blocks on one network, Boxford and Sweden on others.
 */
function useGeoipDatabases(): { cityDatabase: string; asnDatabase: string } {
  const directory = mkdtempSync(join(tmpdir(), 'risk-signals-geoip-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const names = (en: string, de: string) => ({ names: { en, de } });
  let cityDatabase = MAXMIND_CITY_TEST;
  if (!existsSync(cityDatabase)) {
    cityDatabase = join(directory, 'GeoLite2-City.mmdb');
    const gb = { iso_code: 'GB', ...names('United Kingdom', 'Vereinigtes Königreich') };
    writeMmdb(cityDatabase, {
      databaseType: 'GeoLite2-City',
      languages: ['en', 'de'],
      records: [
        { network: '81.2.69.142/31', data: { city: names('London', 'London'), country: gb, location: { accuracy_radius: 10, latitude: 51.5142, longitude: -0.0931 } } },
        { network: '81.2.69.160/27', data: { city: names('London', 'London'), country: gb, location: { accuracy_radius: 100, latitude: 51.5142, longitude: -0.0931 } } },
        { network: '2.125.160.216/29', data: { city: names('Boxford', 'Boxford'), country: gb, location: { accuracy_radius: 100, latitude: 51.75, longitude: -1.25 } } },
        { network: '89.160.20.112/28', data: { city: names('Linköping', 'Linköping'), country: { iso_code: 'SE', ...names('Sweden', 'Schweden') }, location: { accuracy_radius: 76, latitude: 58.4167, longitude: 15.6167 } } },
        { network: '175.16.199.0/24', data: { city: names('Changchun', 'Changchun'), country: { iso_code: 'CN', ...names('China', 'China') }, location: { accuracy_radius: 100, latitude: 43.88, longitude: 125.3228 } } },
      ],
    });
  }
  const asnDatabase = join(directory, 'GeoLite2-ASN.mmdb');
  writeMmdb(asnDatabase, {
    databaseType: 'GeoLite2-ASN',
    languages: [],
    records: [
      { network: '81.2.69.0/24', data: { autonomous_system_number: asUint32(20712), autonomous_system_organization: 'Andrews & Arnold Ltd' } },
      { network: '2.125.160.0/20', data: { autonomous_system_number: asUint32(5607), autonomous_system_organization: 'Sky UK Limited' } },
      { network: '89.160.0.0/16', data: { autonomous_system_number: asUint32(29518), autonomous_system_organization: 'Bredband2 AB' } },
    ],
  });
  return { cityDatabase, asnDatabase };
}

const geoip = useGeoipDatabases();

describeEachDatabaseAndPlatform('Risk signals', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;
  let sessions: Repository<Session>;
  let devices: Repository<UserDevice>;
  let activity: Repository<SecurityActivityRecord>;
  const heard: UserSessionsEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startTestApp(
      database,
      {
        geoip,
        activityInterval: 0,
        riskSignals: { requireRecentLogin: true },
        requireRecentLogin: { endOtherSessions: 60_000 },
        onEvent: (event) => void heard.push(event),
      },
      { platform, trustProxy: 'loopback' },
    );
    const dataSource = t.app.get(DataSource);
    sessions = dataSource.getRepository(Session);
    devices = dataSource.getRepository(UserDevice);
    activity = dataSource.getRepository(SecurityActivityRecord);
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

  /** Signs in from `ip` in a new browser; returns its cookie header. */
  async function signIn(userId: string, ip: string): Promise<string> {
    const response = await request(t.url).post('/login').set('User-Agent', CHROME).set('X-Forwarded-For', ip).send({ userId }).expect(201);
    return `sessionid=${sessionCookie(response.headers['set-cookie'])}`;
  }
  const visit = (cookie: string, ip: string, userAgent = CHROME) =>
    request(t.url).get('/me').set('Cookie', cookie).set('User-Agent', userAgent).set('X-Forwarded-For', ip).expect(200);
  const signals = () =>
    heard.filter((event) => event.type === UserSessionsEvents.placeChanged || event.type === UserSessionsEvents.impossibleTravel);
  const riskKinds = async () =>
    (await activity.find({ order: { id: 'ASC' } })).map((entry) => entry.kind).filter((entry) => /changed|travel/.test(entry));

  it('raises place-changed when a session moves to another country, with both places, and asks for the password again', async () => {
    const cookie = await signIn('alice', LONDON);
    await request(t.url).delete('/account/sessions').set('Origin', t.url).set('Cookie', cookie).set('X-Forwarded-For', LONDON).expect(200);
    await visit(cookie, LINKOPING);
    const [event] = signals() as PlaceChangedEvent[];
    expect(event).toMatchObject({
      type: UserSessionsEvents.placeChanged,
      change: 'country',
      userId: 'alice',
      from: { ip: LONDON, countryCode: 'GB', location: 'London, United Kingdom' },
      to: { ip: LINKOPING, countryCode: 'SE', location: 'Linköping, Sweden' },
      recentLoginRequired: true,
    });
    expect(signals()).toHaveLength(1);
    expect(await riskKinds()).toEqual(['country-changed']);
    // riskSignals.requireRecentLogin: "sudo mode" is gone until the password is entered again.
    const refused = await request(t.url).delete('/account/sessions').set('Origin', t.url).set('Cookie', cookie).set('X-Forwarded-For', LINKOPING).expect(403);
    expect(refused.body).toMatchObject({ reauthenticate: true });
    // The session itself goes on; staying in Sweden raises nothing more.
    await visit(cookie, LINKOPING);
    expect(signals()).toHaveLength(1);

    const page = await request(t.url).get('/account/activity').set('Cookie', cookie).set('X-Forwarded-For', LINKOPING).set('Accept-Language', 'de').expect(200);
    expect(page.body.entries.find((entry: { kind: string }) => entry.kind === 'country-changed')).toMatchObject({
      location: 'Linköping, Schweden',
      previousLocation: 'London, Vereinigtes Königreich',
    });
  });

  it('asks for the password on the very first request from the new country, and a password entered from there counts', async () => {
    const cookie = await signIn('alice', LONDON);
    // A stolen cookie's first request, from Sweden, is the sensitive one itself.
    const refused = await request(t.url).delete('/account/sessions').set('Origin', t.url).set('Cookie', cookie).set('X-Forwarded-For', LINKOPING).expect(403);
    expect(refused.body).toMatchObject({ reauthenticate: true });
    expect(signals()).toMatchObject([{ change: 'country', recentLoginRequired: true }]);
    // The real user, moved to another network in the same request as the password: it counts.
    const other = await signIn('bob', LONDON);
    const reauthenticated = await request(t.url).post('/reauthenticate').set('Origin', t.url).set('Cookie', other).set('X-Forwarded-For', BOXFORD).expect(204);
    const renewed = `sessionid=${sessionCookie(reauthenticated.headers['set-cookie'])}`;
    await request(t.url).delete('/account/sessions').set('Origin', t.url).set('Cookie', renewed).set('X-Forwarded-For', BOXFORD).expect(200);
    expect(signals().map((event) => (event as PlaceChangedEvent).change)).toEqual(['country', 'network']);
  });

  it('raises place-changed for another network in the same country (with an ASN database)', async () => {
    const cookie = await signIn('alice', LONDON);
    await visit(cookie, BOXFORD);
    expect(signals()).toMatchObject([{ change: 'network', from: { network: 20712 }, to: { network: 5607, networkName: 'Sky UK Limited' } }]);
    expect(await riskKinds()).toEqual(['network-changed']);
  });

  it('stays quiet for a new IP on the same network, an address GeoIP cannot place, a browser update, and an anonymous visitor', async () => {
    const cookie = await signIn('alice', LONDON);
    await visit(cookie, LONDON_TOO);
    await visit(cookie, PRIVATE);
    await visit(cookie, LONDON, CHROME_UPDATED);
    await visit(cookie, LONDON_TOO, CHROME_UPDATED);
    const anonymous = await request(t.url).post('/data').set('X-Forwarded-For', LONDON).send({ name: 'theme', value: 'dark' });
    const visitor = `sessionid=${sessionCookie(anonymous.headers['set-cookie'])}`;
    await request(t.url).get('/data/theme').set('Cookie', visitor).set('X-Forwarded-For', CHANGCHUN).expect(200);
    expect(signals()).toEqual([]);
    expect(await riskKinds()).toEqual([]);
    // And the session kept its "sudo mode".
    await request(t.url).delete('/account/sessions').set('Origin', t.url).set('Cookie', cookie).set('X-Forwarded-For', LONDON).expect(200);
  });

  it('raises impossible-travel for two sign-ins farther apart than a plane flies in the time between them', async () => {
    await signIn('alice', LONDON);
    await signIn('alice', CHANGCHUN);
    const [event] = signals() as ImpossibleTravelEvent[];
    expect(event).toMatchObject({ type: UserSessionsEvents.impossibleTravel, userId: 'alice', from: { ip: LONDON, countryCode: 'GB' }, to: { ip: CHANGCHUN, countryCode: 'CN' } });
    expect(event.distanceKm).toBeGreaterThan(7_500);
    expect(event.distanceKm).toBeLessThan(8_500);
    expect(event.speedKmh).toBeGreaterThan(1000);
    expect(await riskKinds()).toEqual(['impossible-travel']);
  });

  it('stays quiet for sign-ins near each other, or far apart with time enough to fly, or from places GeoIP cannot place', async () => {
    await signIn('alice', LONDON);
    await signIn('alice', BOXFORD);
    await signIn('carol', PRIVATE);
    await signIn('carol', CHANGCHUN); // the previous sign-in has no place
    await signIn('dave', LONDON);
    await signIn('dave', PRIVATE); // this one has none
    // Sweden ten hours after London: about 140 km/h.
    await signIn('bob', LONDON);
    await devices.update({ userId: 'bob' }, { lastSeen: new Date(Date.now() - 10 * 60 * 60 * 1000) });
    await signIn('bob', LINKOPING);
    expect(signals()).toEqual([]);
    expect(await riskKinds()).toEqual([]);
  });
});
