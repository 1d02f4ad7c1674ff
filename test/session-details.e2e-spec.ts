import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { UAParser } from 'ua-parser-js';
import { afterAll, beforeEach, expect, it, vi } from 'vitest';
import { writeMmdb } from './support/mmdb-writer.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, useTestApp } from './support/test-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { clearDeviceCache } from '../lib/index.js';

// Counts how often the library constructs a parser (ua-parser-js 1 has no prototype methods to spy on).
vi.mock('ua-parser-js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('ua-parser-js')>();
  return { ...actual, UAParser: vi.fn(function (userAgent?: string) { return new actual.UAParser(userAgent); }) };
});

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const geoipDir = mkdtempSync(join(tmpdir(), 'details-geoip-'));
writeMmdb(join(geoipDir, 'GeoLite2-City.mmdb'), {
  databaseType: 'GeoLite2-City',
  languages: ['en'],
  records: [
    { network: '81.2.69.0/24', data: { city: { names: { en: 'London' } }, country: { names: { en: 'United Kingdom' } } } },
    { network: '31.151.0.0/16', data: { city: { names: { en: 'Zwolle' } }, country: { names: { en: 'Netherlands' } } } },
  ],
});

afterAll(() => rmSync(geoipDir, { recursive: true, force: true }));

describeEachDatabaseAndPlatform('session details in the API', (kind, platform) => {
  // The app trusts the loopback proxy, so X-Forwarded-For sets the client IP in these tests.
  const t = useTestApp(kind, { geoip: { path: geoipDir } }, { platform, trustProxy: 'loopback' });
  beforeEach(async () => {
    await t.sessions.clear();
  });

  async function login(userId: string, headers: Record<string, string>): Promise<string> {
    const response = await request(t.url).post('/login').set(headers).send({ userId }).expect(201);
    return sessionCookie(response.headers['set-cookie'])!;
  }

  it('lists device, browser, platform and location for each session', async () => {
    const phone = await login('alice', { 'User-Agent': IPHONE, 'X-Forwarded-For': '81.2.69.142' });
    await login('alice', { 'User-Agent': 'curl/8.5.0', 'X-Forwarded-For': '10.0.0.7' });
    const response = await request(t.url)
      .get('/account/sessions')
      .set({ Cookie: `sessionid=${phone}`, 'User-Agent': IPHONE, 'X-Forwarded-For': '81.2.69.142' })
      .expect(200);
    const byCurrent = Object.fromEntries(response.body.map((s: { current: boolean }) => [String(s.current), s]));
    expect(byCurrent.true).toMatchObject({
      device: 'Safari on iPhone',
      browser: 'Safari',
      platform: 'iPhone',
      location: 'London, United Kingdom',
      ip: '81.2.69.142',
    });
    expect(byCurrent.false).toMatchObject({ device: 'curl', browser: 'curl', platform: null, location: null, ip: '10.0.0.7' });
  });

  it('records platform Client Hints on the session and names Windows 11 with them', async () => {
    const hints = { 'Sec-CH-UA-Platform': '"Windows"', 'Sec-CH-UA-Platform-Version': '"15.0.0"' };
    const key = await login('alice', { 'User-Agent': WINDOWS_CHROME, ...hints });
    const row = await t.sessions.findOneByOrFail({ id: digestSessionKey(key) });
    expect(row).toMatchObject({ clientPlatform: 'Windows', clientPlatformVersion: '15.0.0' });

    // A request without hints keeps them, and writes nothing.
    t.queries.reset();
    const listed = await request(t.url).get('/account/sessions').set({ Cookie: `sessionid=${key}`, 'User-Agent': WINDOWS_CHROME }).expect(200);
    expect(listed.body[0]).toMatchObject({ device: 'Chrome on Windows 11', platform: 'Windows 11' });
    expect(t.queries.sessionStatements().filter((statement) => /^UPDATE/i.test(statement))).toEqual([]);

    // New hints (an upgrade, say) are recorded with the activity columns.
    await request(t.url).get('/me').set({ Cookie: `sessionid=${key}`, 'User-Agent': WINDOWS_CHROME, 'Sec-CH-UA-Platform': '"Windows"', 'Sec-CH-UA-Platform-Version': '"10.0.0"' }).expect(200);
    const updated = await t.sessions.findOneByOrFail({ id: digestSessionKey(key) });
    expect(updated.clientPlatformVersion).toBe('10.0.0');
    const relisted = await request(t.url).get('/account/sessions').set({ Cookie: `sessionid=${key}`, 'User-Agent': WINDOWS_CHROME }).expect(200);
    expect(relisted.body[0].device).toBe('Chrome on Windows 10');
  });

  it('ignores junk hints', async () => {
    const key = await login('alice', { 'User-Agent': WINDOWS_CHROME, 'Sec-CH-UA-Platform': `"${'x'.repeat(500)}"`, 'Sec-CH-UA-Platform-Version': '";DROP' });
    const row = await t.sessions.findOneByOrFail({ id: digestSessionKey(key) });
    expect(row).toMatchObject({ clientPlatform: null, clientPlatformVersion: null });
  });

  it('asks browsers that send Client Hints for the platform version with Accept-CH', async () => {
    const asked = await request(t.url).get('/public').set('Sec-CH-UA-Platform', '"Windows"').expect(200);
    expect(asked.headers['accept-ch']).toBe('Sec-CH-UA-Platform-Version');
    const told = await request(t.url).get('/public').set({ 'Sec-CH-UA-Platform': '"Windows"', 'Sec-CH-UA-Platform-Version': '"15.0.0"' }).expect(200);
    expect(told.headers['accept-ch']).toBeUndefined();
    const other = await request(t.url).get('/public').expect(200);
    expect(other.headers['accept-ch']).toBeUndefined();
  });

  it('parses each distinct user agent once when listing many sessions', async () => {
    const current = await t.store.create({ userId: 'bob', userAgent: IPHONE });
    for (let i = 0; i < 49; i++) {
      await t.store.create({ userId: 'bob', userAgent: i % 2 ? IPHONE : WINDOWS_CHROME });
    }
    clearDeviceCache();
    const parses = vi.mocked(UAParser);
    parses.mockClear();
    const response = await request(t.url).get('/account/sessions').set({ Cookie: `sessionid=${current.key}`, 'User-Agent': IPHONE }).expect(200);
    expect(response.body).toHaveLength(50);
    expect(parses).toHaveBeenCalledTimes(2);
  });
});
