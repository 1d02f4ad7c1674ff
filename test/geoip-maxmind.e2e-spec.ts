import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GeoIpLocator } from '../lib/index.js';
import { requiredServices } from './support/services.js';

// MaxMind's official test databases, in ../shared/geoip beside the repository when present.
const SHARED = fileURLToPath(new URL('../../shared/geoip/', import.meta.url));
const present = existsSync(`${SHARED}GeoLite2-City-Test.mmdb`);
if (!present && requiredServices().has('shared')) {
  throw new Error(`MaxMind's test databases are required (USER_SESSIONS_REQUIRE) but ${SHARED} has none`);
}
if (!present) console.log(`[skip] MaxMind test databases: none in ${SHARED}`);

describe.skipIf(!present)(`location() on MaxMind's test databases${present ? '' : ` (skipped: none in ${SHARED})`}`, () => {
  it.each([
    ['GeoLite2-City-Test.mmdb'],
    ['GeoIP2-City-Test.mmdb'],
  ])('%s: city and country, country alone, IPv6', async (file) => {
    const warnings: string[] = [];
    const locator = await GeoIpLocator.open({ cityDatabase: `${SHARED}${file}` }, (message) => warnings.push(message));
    expect(warnings).toEqual([]);
    expect(locator.location('81.2.69.142')).toBe('London, United Kingdom');
    expect(locator.location('2.125.160.216')).toBe('Boxford, United Kingdom');
    expect(locator.location('89.160.20.112')).toBe('Linköping, Sweden');
    expect(locator.location('216.160.83.56')).toBe('Milton, United States');
    expect(locator.location('67.43.156.1')).toBe('Bhutan');
    expect(locator.location('2001:218::1')).toBe('Japan');
    expect(locator.location('127.0.0.1')).toBeNull();
    expect(locator.location('1.1.1.1')).toBeNull();
  });

  it('other locales the database carries', async () => {
    const locator = await GeoIpLocator.open({ cityDatabase: `${SHARED}GeoLite2-City-Test.mmdb`, locale: 'de' });
    expect(locator.location('81.2.69.142')).toBe('London, Vereinigtes Königreich');
  });

  it('a Country database, found in a directory of databases', async () => {
    const locator = await GeoIpLocator.open({ countryDatabase: `${SHARED}GeoLite2-Country-Test.mmdb` });
    expect(locator.location('81.2.69.142')).toBe('United Kingdom');
    expect(locator.location('2001:218::1')).toBe('Japan');
  });
});
