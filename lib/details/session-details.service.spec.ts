import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMmdb } from '../../test/support/mmdb-writer.js';
import { GeoIpLocator } from './location.js';
import { SessionDetailsService } from './session-details.service.js';

const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('SessionDetailsService', () => {
  let dir: string;
  let details: SessionDetailsService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'details-'));
    const file = join(dir, 'GeoLite2-City.mmdb');
    writeMmdb(file, {
      databaseType: 'GeoLite2-City',
      languages: ['de', 'en', 'fr'],
      records: [{ network: '81.2.69.0/24', data: { city: { names: { en: 'London', de: 'London', fr: 'Londres' } }, country: { names: { en: 'United Kingdom', de: 'Vereinigtes Königreich', fr: 'Royaume-Uni' } } } }],
    });
    details = new SessionDetailsService(await GeoIpLocator.open({ cityDatabase: file, locale: 'fr' }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const session = { userAgent: WINDOWS_CHROME, ip: '81.2.69.142', clientPlatform: 'Windows', clientPlatformVersion: '15.0.0' };

  it('describes a session in the locale asked for', () => {
    expect(details.describe(session, 'de')).toEqual({
      device: 'Chrome auf Windows 11',
      browser: 'Chrome',
      platform: 'Windows 11',
      location: 'London, Vereinigtes Königreich',
    });
    expect(details.describe(session, 'en').location).toBe('London, United Kingdom');
  });

  it("without a locale: English device words, places in the geoip.locale option's language", () => {
    expect(details.describe(session)).toEqual({
      device: 'Chrome on Windows 11',
      browser: 'Chrome',
      platform: 'Windows 11',
      location: 'Londres, Royaume-Uni',
    });
  });

  it('takes the locale in each method', () => {
    expect(details.device(WINDOWS_CHROME, null, 'es')).toBe('Chrome en Windows');
    expect(details.platform(WINDOWS_CHROME, null, 'es')).toBe('Windows');
    expect(details.browser(WINDOWS_CHROME, 'es')).toBe('Chrome');
    expect(details.location('81.2.69.142', 'de-AT')).toBe('London, Vereinigtes Königreich');
    expect(details.city('81.2.69.142', 'fr')).toBe('Londres');
    expect(details.country('81.2.69.142', 'de')).toBe('Vereinigtes Königreich');
    // Spanish names are not in this database: English ones.
    expect(details.country('81.2.69.142', 'es')).toBe('United Kingdom');
  });
});
