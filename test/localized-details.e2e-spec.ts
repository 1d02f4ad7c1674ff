import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { writeMmdb } from './support/mmdb-writer.js';
import { describeEachDatabaseAndPlatform, describeEachPlatform } from './support/platforms.js';
import { requiredServices } from './support/services.js';
import { sessionCookie, useTestApp, type TestAppContext } from './support/test-app.js';

const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

// German, English and French names; the app's geoip.locale is French, so an answer without
// Accept-Language is told apart from an English one.
const geoipDir = mkdtempSync(join(tmpdir(), 'localized-geoip-'));
writeMmdb(join(geoipDir, 'GeoLite2-City.mmdb'), {
  databaseType: 'GeoLite2-City',
  languages: ['de', 'en', 'fr'],
  records: [
    {
      network: '31.151.0.0/16',
      data: { city: { names: { en: 'Zwolle', de: 'Zwolle', fr: 'Zwolle' } }, country: { iso_code: 'NL', names: { en: 'Netherlands', de: 'Niederlande', fr: 'Pays-Bas' } } },
    },
    {
      network: '81.2.69.0/24',
      data: { city: { names: { en: 'London', fr: 'Londres' } }, country: { iso_code: 'GB', names: { en: 'United Kingdom', de: 'Vereinigtes Königreich', fr: 'Royaume-Uni' } } },
    },
  ],
});
afterAll(() => rmSync(geoipDir, { recursive: true, force: true }));

/** The Vary header's names, sorted. */
const varyOf = (response: request.Response) => String(response.headers.vary ?? '').split(/\s*,\s*/).filter(Boolean).sort();

describeEachDatabaseAndPlatform('device and place names in the language asked for', (kind, platform) => {
  // The app trusts the loopback proxy, so X-Forwarded-For sets the client IP in these tests.
  const t = useTestApp(kind, {
    geoip: { path: geoipDir, locale: 'fr' },
    adminPath: 'admin/sessions',
    isAdmin: ({ userId }) => userId === 'admin',
  }, { platform, trustProxy: 'loopback' });

  let cookie: string;
  beforeEach(async () => {
    await t.sessions.clear();
    cookie = await signIn(t, 'alice', WINDOWS_CHROME, '31.151.20.1');
  });

  async function list(acceptLanguage?: string): Promise<request.Response> {
    const call = request(t.url).get('/account/sessions').set({ Cookie: `sessionid=${cookie}`, 'User-Agent': WINDOWS_CHROME, 'X-Forwarded-For': '31.151.20.1' });
    if (acceptLanguage !== undefined) call.set('Accept-Language', acceptLanguage);
    return call.expect(200);
  }

  it('Accept-Language: de names device and place in German', async () => {
    const response = await list('de');
    expect(response.body).toHaveLength(1);
    expect(response.body[0]).toMatchObject({
      device: 'Chrome auf Windows',
      browser: 'Chrome',
      platform: 'Windows',
      location: 'Zwolle, Niederlande',
    });
    expect(response.headers['content-language']).toBe('de');
    expect(varyOf(response)).toEqual(['Accept-Language', 'Cookie']);
  });

  it('a regional tag finds its language: de-AT is German', async () => {
    const response = await list('de-AT, en;q=0.5');
    expect(response.body[0]).toMatchObject({ device: 'Chrome auf Windows', location: 'Zwolle, Niederlande' });
    expect(response.headers['content-language']).toBe('de');
  });

  it('follows the weights: fr;q=0.1, de;q=0.9 is German', async () => {
    const response = await list('fr;q=0.1, de;q=0.9');
    expect(response.body[0]).toMatchObject({ device: 'Chrome auf Windows', location: 'Zwolle, Niederlande' });
  });

  it('a language the database lacks gets translated device words and English places', async () => {
    const response = await list('ja');
    expect(response.body[0]).toMatchObject({ device: 'Windows 上の Chrome', location: 'Zwolle, Netherlands' });
    expect(response.headers['content-language']).toBe('ja');
  });

  it('an unsupported language or a junk header gets English', async () => {
    for (const header of ['sv-SE, sv;q=0.9', 'zh-TW', '"de"; q=abc, <script>', 'de;q=7', `${'x-'.repeat(3000)}de`]) {
      const response = await list(header);
      expect(response.body[0], header).toMatchObject({ device: 'Chrome on Windows', location: 'Zwolle, Netherlands' });
      expect(response.headers['content-language'], header).toBe('en');
    }
  });

  it("without Accept-Language, places are in the geoip.locale option's language and device words in English", async () => {
    const response = await list();
    expect(response.body[0]).toMatchObject({ device: 'Chrome on Windows', location: 'Zwolle, Pays-Bas' });
    expect(response.headers['content-language']).toBeUndefined();
    expect(varyOf(response)).toEqual(['Accept-Language', 'Cookie']);
  });

  it('each name falls back to English on its own', async () => {
    cookie = await signIn(t, 'bob', IPHONE, '81.2.69.142');
    const response = await request(t.url).get('/account/sessions').set({ Cookie: `sessionid=${cookie}`, 'User-Agent': IPHONE, 'X-Forwarded-For': '81.2.69.142', 'Accept-Language': 'de' }).expect(200);
    expect(response.body[0]).toMatchObject({ device: 'Safari auf iPhone', location: 'London, Vereinigtes Königreich' });
  });

  it('the admin list follows Accept-Language too', async () => {
    const admin = await signIn(t, 'admin', IPHONE, '81.2.69.142');
    const asAdmin = { Cookie: `sessionid=${admin}`, 'User-Agent': IPHONE, 'X-Forwarded-For': '81.2.69.142' };
    const german = await request(t.url).get('/admin/sessions').set({ ...asAdmin, 'Accept-Language': 'de-CH, fr;q=0.8' }).expect(200);
    const alice = german.body.sessions.find((session: { userId: string }) => session.userId === 'alice');
    expect(alice).toMatchObject({ device: 'Chrome auf Windows', location: 'Zwolle, Niederlande' });
    expect(german.headers['content-language']).toBe('de');
    expect(varyOf(german)).toEqual(['Accept-Language', 'Cookie']);
    const plain = await request(t.url).get('/admin/sessions').set(asAdmin).expect(200);
    expect(plain.body.sessions.find((session: { userId: string }) => session.userId === 'alice')).toMatchObject({
      device: 'Chrome on Windows',
      location: 'Zwolle, Pays-Bas',
    });
  });
});

// MaxMind's official test database, in ../shared/geoip beside the repository when present.
const SHARED = fileURLToPath(new URL('../../shared/geoip/', import.meta.url));
const OFFICIAL = `${SHARED}GeoIP2-City-Test.mmdb`;
const present = existsSync(OFFICIAL);
if (!present && requiredServices().has('shared')) {
  throw new Error(`MaxMind's test databases are required (USER_SESSIONS_REQUIRE) but ${SHARED} has none`);
}

describe.skipIf(!present)(`names in the language asked for from MaxMind's GeoIP2-City-Test.mmdb${present ? '' : ` (skipped: none in ${SHARED})`}`, () => {
  describeEachPlatform('GET /account/sessions', (platform) => {
    const t = useTestApp('sqlite', { geoip: { cityDatabase: OFFICIAL } }, { platform, trustProxy: 'loopback' });

    it.each([
      ['de', 'London, Vereinigtes Königreich', 'Chrome auf Windows'],
      ['fr-CA', 'Londres, Royaume-Uni', 'Chrome sur Windows'],
      ['pt', 'Londres, Reino Unido', 'Chrome no Windows'],
      // The database has no Chinese name for London: that one is English.
      ['zh-CN', 'London, 英国', 'Windows 上的 Chrome'],
      ['sv', 'London, United Kingdom', 'Chrome on Windows'],
    ])('Accept-Language: %s → %s', async (acceptLanguage, location, device) => {
      const cookie = await signIn(t, 'alice', WINDOWS_CHROME, '81.2.69.142');
      const response = await request(t.url)
        .get('/account/sessions')
        .set({ Cookie: `sessionid=${cookie}`, 'User-Agent': WINDOWS_CHROME, 'X-Forwarded-For': '81.2.69.142', 'Accept-Language': acceptLanguage })
        .expect(200);
      const current = response.body.find((session: { current: boolean }) => session.current);
      expect(current).toMatchObject({ location, device });
    });
  });
});

async function signIn(t: TestAppContext, userId: string, userAgent: string, ip: string): Promise<string> {
  const response = await request(t.url).post('/login').set({ 'User-Agent': userAgent, 'X-Forwarded-For': ip }).send({ userId }).expect(201);
  return sessionCookie(response.headers['set-cookie'])!;
}
