import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMmdb, type MmdbRecord } from '../../test/support/mmdb-writer.js';
import { GeoIpLocator, isUnlocatable } from './location.js';

const UNITED_KINGDOM = { iso_code: 'GB', names: { en: 'United Kingdom', de: 'Vereinigtes Königreich' } };
const RECORDS: MmdbRecord[] = [
  { network: '81.2.69.0/24', data: { city: { names: { en: 'London', de: 'London' } }, country: UNITED_KINGDOM } },
  { network: '2.125.160.0/20', data: { city: { names: { en: 'Boxford' } }, country: UNITED_KINGDOM } },
  { network: '31.151.0.0/16', data: { city: { names: { en: 'Zwolle' } }, country: { iso_code: 'NL', names: { en: 'Netherlands', de: 'Niederlande' } } } },
  { network: '67.43.156.0/24', data: { country: { iso_code: 'BT', names: { en: 'Bhutan' } } } },
  { network: '2001:218::/32', data: { country: { iso_code: 'JP', names: { en: 'Japan', de: 'Japan' } } } },
];

/** Names in MaxMind's eight languages. */
const MULTILINGUAL: MmdbRecord[] = [
  {
    network: '31.151.0.0/16',
    data: {
      city: { names: { en: 'Zwolle', de: 'Zwolle', fr: 'Zwolle', ja: 'ズヴォレ', 'pt-BR': 'Zwolle', ru: 'Зволле', 'zh-CN': '兹沃勒' } },
      country: { iso_code: 'NL', names: { en: 'Netherlands', de: 'Niederlande', es: 'Países Bajos', fr: 'Pays-Bas', ja: 'オランダ王国', 'pt-BR': 'Holanda', ru: 'Нидерланды', 'zh-CN': '荷兰' } },
    },
  },
  ...RECORDS.filter(({ network }) => network === '2.125.160.0/20'),
];

describe('GeoIpLocator', () => {
  let dir: string;
  let cityFile: string;
  let countryFile: string;
  let multilingualFile: string;
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'geoip-'));
    cityFile = join(dir, 'city', 'GeoLite2-City.mmdb');
    countryFile = join(dir, 'country', 'GeoLite2-Country.mmdb');
    writeMmdb(cityFile, { databaseType: 'GeoLite2-City', languages: ['de', 'en'], records: RECORDS });
    writeMmdb(countryFile, {
      databaseType: 'GeoLite2-Country',
      languages: ['en'],
      records: RECORDS.map(({ network, data }) => ({ network, data: { country: (data as { country: MmdbRecord['data'] }).country } })),
    });
    multilingualFile = join(dir, 'multilingual', 'GeoLite2-City.mmdb');
    writeMmdb(multilingualFile, { databaseType: 'GeoLite2-City', languages: ['de', 'en', 'es', 'fr', 'ja', 'pt-BR', 'ru', 'zh-CN'], records: MULTILINGUAL });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names city and country from a City database found in a directory', async () => {
    const locator = await GeoIpLocator.open({ path: join(dir, 'city') }, warn);
    expect(locator.file).toBe(cityFile);
    expect(locator.location('81.2.69.142')).toBe('London, United Kingdom');
    expect(locator.location('2.125.160.216')).toBe('Boxford, United Kingdom');
    expect(locator.location('31.151.20.1')).toBe('Zwolle, Netherlands');
    expect(locator.location('::ffff:81.2.69.142')).toBe('London, United Kingdom');
    expect(locator.city('81.2.69.142')).toBe('London');
    expect(locator.country('81.2.69.142')).toBe('United Kingdom');
    expect(warnings).toEqual([]);
  });

  it('gives the country alone where the database has no city', async () => {
    const locator = await GeoIpLocator.open({ cityDatabase: cityFile });
    expect(locator.location('67.43.156.1')).toBe('Bhutan');
    expect(locator.location('2001:218::1')).toBe('Japan');
    expect(locator.city('67.43.156.1')).toBeNull();
  });

  it('works with only a Country database', async () => {
    for (const options of [{ countryDatabase: countryFile }, { path: join(dir, 'country') }, { path: countryFile }]) {
      const locator = await GeoIpLocator.open(options, warn);
      expect(locator.location('81.2.69.142')).toBe('United Kingdom');
      expect(locator.city('81.2.69.142')).toBeNull();
    }
    expect(warnings).toEqual([]);
  });

  it('uses the locale the options pick, English where the database lacks it', async () => {
    const locator = await GeoIpLocator.open({ cityDatabase: cityFile, locale: 'de' });
    expect(locator.location('31.151.20.1')).toBe('Zwolle, Niederlande');
    expect(locator.location('81.2.69.142')).toBe('London, Vereinigtes Königreich');
    expect(locator.location('67.43.156.1')).toBe('Bhutan');
  });

  it('names places in the locale a lookup asks for, whatever the option says', async () => {
    const locator = await GeoIpLocator.open({ cityDatabase: multilingualFile, locale: 'fr' });
    expect(locator.location('31.151.20.1')).toBe('Zwolle, Pays-Bas');
    expect(locator.location('31.151.20.1', 'de')).toBe('Zwolle, Niederlande');
    expect(locator.location('31.151.20.1', 'en')).toBe('Zwolle, Netherlands');
    expect(locator.city('31.151.20.1', 'ja')).toBe('ズヴォレ');
    expect(locator.country('31.151.20.1', 'zh-CN')).toBe('荷兰');
    expect(locator.country('31.151.20.1', 'pt-BR')).toBe('Holanda');
  });

  it('finds the names of a tag the database lacks by its language, English after that', async () => {
    const locator = await GeoIpLocator.open({ cityDatabase: multilingualFile });
    expect(locator.location('31.151.20.1', 'de-AT')).toBe('Zwolle, Niederlande');
    expect(locator.location('31.151.20.1', 'DE_ch')).toBe('Zwolle, Niederlande');
    expect(locator.location('31.151.20.1', 'pt')).toBe('Zwolle, Holanda');
    expect(locator.location('31.151.20.1', 'pt-PT')).toBe('Zwolle, Holanda');
    expect(locator.location('31.151.20.1', 'zh')).toBe('兹沃勒, 荷兰');
    // Traditional Chinese readers get no Simplified names: English.
    expect(locator.location('31.151.20.1', 'zh-TW')).toBe('Zwolle, Netherlands');
    for (const locale of ['it', 'sv', '', '*', 'constructor', '__proto__', 'x'.repeat(10_000)]) {
      expect(locator.location('31.151.20.1', locale)).toBe('Zwolle, Netherlands');
    }
    // Each name falls back on its own: this city has no German name, its country has.
    expect(locator.location('2.125.160.216', 'de')).toBe('Boxford, Vereinigtes Königreich');
  });

  it('reads a locale option such as de-AT the same way', async () => {
    const locator = await GeoIpLocator.open({ cityDatabase: multilingualFile, locale: 'de-AT' });
    expect(locator.location('31.151.20.1')).toBe('Zwolle, Niederlande');
  });

  it('is null for private, loopback, reserved, unknown and invalid addresses', async () => {
    const locator = await GeoIpLocator.open({ cityDatabase: cityFile });
    for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '172.16.0.1', '169.254.1.1', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '0.0.0.0', '255.255.255.255', '203.0.113.9', '8.8.8.8', 'not an ip', '', null, undefined, '81.2.69.999']) {
      expect(locator.location(ip as string)).toBeNull();
    }
  });

  it('keeps the database in memory: lookups still work after the file is gone', async () => {
    const copy = join(dir, 'copy.mmdb');
    writeMmdb(copy, { databaseType: 'GeoLite2-City', records: RECORDS });
    const locator = await GeoIpLocator.open({ path: copy });
    rmSync(copy);
    expect(locator.location('81.2.69.142')).toBe('London, United Kingdom');
  });

  it('warns once, naming the path, and answers null for a missing, corrupt or empty source', async () => {
    const corrupt = join(dir, 'corrupt.mmdb');
    writeFileSync(corrupt, 'this is not a MaxMind database');
    const empty = mkdtempSync(join(tmpdir(), 'geoip-empty-'));
    const cases: [object, RegExp][] = [
      [{ path: join(dir, 'missing') }, /missing.*ENOENT/],
      [{ cityDatabase: join(dir, 'nope.mmdb') }, /nope\.mmdb.*ENOENT/],
      [{ path: corrupt }, /corrupt\.mmdb/],
      [{ path: empty }, /no GeoLite2-City\.mmdb .* in .*geoip-empty-/],
    ];
    for (const [options, message] of cases) {
      const seen: string[] = [];
      const locator = await GeoIpLocator.open(options, (text) => seen.push(text));
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(message);
      expect(locator.enabled).toBe(false);
      expect(locator.location('81.2.69.142')).toBeNull();
    }
    rmSync(empty, { recursive: true });
  });

  it('without options knows no place and says nothing', async () => {
    const seen: string[] = [];
    const locator = await GeoIpLocator.open(undefined, (text) => seen.push(text));
    expect(locator.location('81.2.69.142')).toBeNull();
    expect(seen).toEqual([]);
  });
});

describe('isUnlocatable', () => {
  it('knows private and reserved ranges', () => {
    expect(isUnlocatable('10.0.0.1')).toBe(true);
    expect(isUnlocatable('2001:db8::1')).toBe(true);
    expect(isUnlocatable('81.2.69.142')).toBe(false);
    expect(isUnlocatable('2001:218::1')).toBe(false);
    expect(isUnlocatable('junk')).toBe(true);
  });
});
