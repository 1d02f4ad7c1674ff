import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeEach, expect, it } from 'vitest';
import { writeMmdb } from './support/mmdb-writer.js';
import { describeEachPlatform } from './support/platforms.js';
import { sessionCookie, useTestApp, type TestAppContext } from './support/test-app.js';

const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const CHROME_HINTS = { 'Sec-CH-UA-Platform': '"Windows"' };

const geoipDir = mkdtempSync(join(tmpdir(), 'privacy-geoip-'));
writeMmdb(join(geoipDir, 'GeoLite2-City.mmdb'), {
  databaseType: 'GeoLite2-City',
  languages: ['en'],
  records: [
    { network: '81.2.69.0/24', data: { city: { names: { en: 'London' } }, country: { names: { en: 'United Kingdom' } } } },
    { network: '2a02:8010::/32', data: { city: { names: { en: 'Leeds' } }, country: { names: { en: 'United Kingdom' } } } },
  ],
});
afterAll(() => rmSync(geoipDir, { recursive: true, force: true }));

const trustLoopback = { trustProxy: 'loopback' };

async function signIn(t: TestAppContext, ip: string, headers: Record<string, string> = {}) {
  const login = await request(t.url)
    .post('/login')
    .set({ 'User-Agent': WINDOWS_CHROME, 'X-Forwarded-For': ip, ...CHROME_HINTS, ...headers })
    .send({ userId: 'alice' })
    .expect(201);
  const key = sessionCookie(login.headers['set-cookie'])!;
  const list = await request(t.url)
    .get('/account/sessions')
    .set({ Cookie: `sessionid=${key}`, 'User-Agent': WINDOWS_CHROME, 'X-Forwarded-For': ip, ...CHROME_HINTS, ...headers })
    .expect(200);
  const [row] = await t.sessions.find();
  return { login, list, row, key };
}

describeEachPlatform("ipAddresses: 'truncated'", (platform) => {
  const t = useTestApp('sqlite', { ipAddresses: 'truncated', geoip: { path: geoipDir } }, { ...trustLoopback, platform });
  beforeEach(() => t.sessions.clear());

  it('stores and shows an IPv4 address cut to its /24; the city is still found', async () => {
    const { list, row } = await signIn(t, '81.2.69.142');
    expect(row.ip).toBe('81.2.69.0');
    expect(list.body[0]).toMatchObject({ ip: '81.2.69.0', location: 'London, United Kingdom' });
    expect(JSON.stringify(list.body)).not.toContain('81.2.69.142');
  });

  it('stores an IPv6 address cut to its /48', async () => {
    const { list, row } = await signIn(t, '2a02:8010:6:1:2:3:4:5');
    expect(row.ip).toBe('2a02:8010:6::');
    expect(list.body[0]).toMatchObject({ ip: '2a02:8010:6::', location: 'Leeds, United Kingdom' });
  });

  it('also applies to sessions created outside HTTP', async () => {
    const session = await t.store.create({ userId: 'bob', ip: '198.51.100.23' });
    expect(session.ip).toBe('198.51.100.0');
    expect((await t.sessions.findOneByOrFail({ id: session.id! })).ip).toBe('198.51.100.0');
  });
});

describeEachPlatform("ipAddresses: 'none'", (platform) => {
  const t = useTestApp('sqlite', { ipAddresses: 'none', geoip: { path: geoipDir } }, { ...trustLoopback, platform });
  beforeEach(() => t.sessions.clear());

  it('stores no IP, and the sessions page shows neither IP nor location', async () => {
    const { list, row } = await signIn(t, '81.2.69.142');
    expect(row.ip).toBeNull();
    expect(list.body[0]).toMatchObject({ ip: null, location: null, device: 'Chrome on Windows' });
    expect((await t.store.create({ ip: '81.2.69.142' })).ip).toBeNull();
  });
});

describeEachPlatform('storeUserAgent: false', (platform) => {
  const t = useTestApp('sqlite', { storeUserAgent: false, geoip: { path: geoipDir } }, { ...trustLoopback, platform });
  beforeEach(() => t.sessions.clear());

  it('stores no user agent or platform hints, shows no device, and asks for no hints', async () => {
    const { login, list, row } = await signIn(t, '81.2.69.142');
    expect(row).toMatchObject({ userAgent: null, clientPlatform: null, clientPlatformVersion: null, ip: '81.2.69.142' });
    expect(login.headers['accept-ch']).toBeUndefined();
    expect(list.body[0]).toMatchObject({ userAgent: null, browser: null, platform: null, location: 'London, United Kingdom' });
    expect(JSON.stringify(list.body)).not.toContain('Chrome/131');
  });
});

describeEachPlatform('defaults', (platform) => {
  const t = useTestApp('sqlite', { geoip: { path: geoipDir } }, { ...trustLoopback, platform });
  beforeEach(() => t.sessions.clear());

  it('store the full IP and the user agent', async () => {
    const { login, row } = await signIn(t, '81.2.69.142');
    expect(row).toMatchObject({ ip: '81.2.69.142', userAgent: WINDOWS_CHROME, clientPlatform: 'Windows' });
    expect(login.headers['accept-ch']).toBe('Sec-CH-UA-Platform-Version');
  });
});
