import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddressNotFoundError,
  BadMethodCallError,
  Reader,
  ValueError,
  type City,
  type Country,
} from '@maxmind/geoip2-node';
// `maxmind` is the reader @maxmind/geoip2-node itself uses (installed as its dependency); its
// Reader exposes the parsed metadata, which geoip2-node's ReaderModel keeps private.
import { Reader as MmdbReader } from 'maxmind';
import { afterAll, describe, expect, it } from 'vitest';
import {
  asDouble,
  asInt32,
  asUint16,
  asUint64,
  buildMmdb,
  encodeMmdbValue,
  writeMmdb,
  type MmdbRecord,
} from './support/mmdb-writer.js';

const unitedKingdom = {
  geoname_id: 2635167,
  iso_code: 'GB',
  names: { en: 'United Kingdom', de: 'Vereinigtes Königreich' },
};
const europe = { code: 'EU', geoname_id: 6255148, names: { en: 'Europe', de: 'Europa' } };
const asia = { code: 'AS', geoname_id: 6255147, names: { en: 'Asia', de: 'Asien' } };
const bhutan = { geoname_id: 1252634, iso_code: 'BT', names: { en: 'Bhutan', de: 'Bhutan' } };
const japan = { geoname_id: 1861060, iso_code: 'JP', names: { en: 'Japan', de: 'Japan' } };

const cityRecords: MmdbRecord[] = [
  {
    network: '81.2.69.0/24',
    data: {
      city: { geoname_id: 2643743, names: { en: 'London', de: 'London' } },
      continent: europe,
      country: unitedKingdom,
      location: { accuracy_radius: 10, latitude: 51.5, longitude: -0.1, time_zone: 'Europe/London' },
    },
  },
  {
    network: '2.125.160.0/20',
    data: {
      city: { geoname_id: 2655045, names: { en: 'Boxford', de: 'Boxford' } },
      continent: europe,
      country: unitedKingdom,
      location: { accuracy_radius: 100, latitude: 51.75, longitude: -1.25, time_zone: 'Europe/London' },
      postal: { code: 'OX1' },
      subdivisions: [{ iso_code: 'ENG', names: { en: 'England', de: 'England' } }],
    },
  },
  { network: '67.43.156.0/24', data: { continent: asia, country: bhutan } },
  { network: '2001:218::/32', data: { continent: asia, country: japan } },
];

const LANGUAGES = ['de', 'en'];

/** The low-level reader, typed loosely: its `get()` is typed for GeoIP2 record shapes only. */
function openRaw(buffer: Buffer): {
  metadata: MmdbReader<never>['metadata'];
  get(ip: string): unknown;
  getWithPrefixLength(ip: string): [unknown, number];
} {
  return new MmdbReader(buffer);
}

describe('mmdb-writer: GeoLite2-City fixture read by @maxmind/geoip2-node', () => {
  const buffer = buildMmdb({
    databaseType: 'GeoLite2-City',
    languages: LANGUAGES,
    description: 'Test GeoLite2-City',
    records: cityRecords,
  });
  const reader = Reader.openBuffer(buffer);

  it('finds a city network by an IPv4 address inside it', () => {
    const result: City = reader.city('81.2.69.142');
    expect(result.city?.names.en).toBe('London');
    expect(result.city?.names.de).toBe('London');
    expect(result.city?.geonameId).toBe(2643743);
    expect(result.country?.isoCode).toBe('GB');
    expect(result.country?.names.en).toBe('United Kingdom');
    expect(result.country?.names.de).toBe('Vereinigtes Königreich');
    expect(result.continent?.code).toBe('EU');
    expect(result.location?.latitude).toBe(51.5);
    expect(result.location?.longitude).toBe(-0.1);
    expect(result.location?.accuracyRadius).toBe(10);
    expect(result.location?.timeZone).toBe('Europe/London');
    // The prefix length the reader reports is the IPv4 one (the tree stores it at 96 + 24).
    expect(result.traits.network).toBe('81.2.69.0/24');
    expect(result.traits.ipAddress).toBe('81.2.69.142');
  });

  it('covers the whole network and nothing next to it', () => {
    expect(reader.city('81.2.69.0').city?.names.en).toBe('London');
    expect(reader.city('81.2.69.255').city?.names.en).toBe('London');
    expect(() => reader.city('81.2.68.255')).toThrow(AddressNotFoundError);
    expect(() => reader.city('81.2.70.0')).toThrow(AddressNotFoundError);
  });

  it('finds a /20 network, with arrays and nested maps', () => {
    const result = reader.city('2.125.175.1');
    expect(result.city?.names.en).toBe('Boxford');
    expect(result.postal?.code).toBe('OX1');
    expect(result.subdivisions?.[0]?.isoCode).toBe('ENG');
    expect(result.location).toMatchObject({ latitude: 51.75, longitude: -1.25 });
    expect(result.traits.network).toBe('2.125.160.0/20');
    expect(() => reader.city('2.125.176.0')).toThrow(AddressNotFoundError);
  });

  it('returns a country-only record without a city', () => {
    const result = reader.city('67.43.156.1');
    expect(result.city).toBeUndefined();
    expect(result.location).toBeUndefined();
    expect(result.country?.isoCode).toBe('BT');
    expect(result.country?.names.en).toBe('Bhutan');
    expect(result.continent?.names.de).toBe('Asien');
  });

  it('finds an IPv6 network', () => {
    const result = reader.city('2001:218:1234::1');
    expect(result.city).toBeUndefined();
    expect(result.country?.isoCode).toBe('JP');
    expect(result.country?.names.en).toBe('Japan');
    expect(result.traits.network).toBe('2001:218::/32');
    expect(() => reader.city('2001:219::1')).toThrow(AddressNotFoundError);
  });

  it('aliases IPv4-mapped (::ffff:0:0/96) and 6to4 (2002::/16) addresses to the IPv4 data', () => {
    expect(reader.city('::ffff:81.2.69.142').city?.names.en).toBe('London');
    expect(reader.city('2002:5102:458e::1').city?.names.en).toBe('London'); // 81.2.69.142 in 6to4
    expect(() => reader.city('::ffff:8.8.8.8')).toThrow(AddressNotFoundError);
  });

  it('throws AddressNotFoundError outside all networks, ValueError for invalid input', () => {
    expect(() => reader.city('8.8.8.8')).toThrow(AddressNotFoundError);
    expect(() => reader.city('10.0.0.1')).toThrow(AddressNotFoundError);
    expect(() => reader.city('::1')).toThrow(AddressNotFoundError);
    expect(() => reader.city('not-an-ip')).toThrow(ValueError);
    expect(() => reader.city('81.2.69.256')).toThrow(ValueError);
  });

  it('has the metadata the reader relies on', () => {
    expect(() => reader.country('81.2.69.142')).toThrow(BadMethodCallError); // checks database_type
    const { metadata } = new MmdbReader(buffer);
    expect(metadata.databaseType).toBe('GeoLite2-City');
    expect(metadata.languages).toEqual(LANGUAGES);
    expect(metadata.description).toEqual({ en: 'Test GeoLite2-City' });
    expect(metadata.ipVersion).toBe(6);
    expect(metadata.recordSize).toBe(24);
    expect(metadata.nodeCount).toBeGreaterThan(0);
    expect(metadata.binaryFormatMajorVersion).toBe(2);
    expect(metadata.binaryFormatMinorVersion).toBe(0);
    expect(Math.abs(metadata.buildEpoch.getTime() - Date.now())).toBeLessThan(60_000);
    // Search tree size = node_count * record_size * 2 / 8, then the 16-byte separator.
    expect(buffer.subarray(metadata.searchTreeSize, metadata.searchTreeSize + 16)).toEqual(Buffer.alloc(16));
  });
});

describe('mmdb-writer: GeoLite2-Country fixture', () => {
  const buffer = buildMmdb({
    databaseType: 'GeoLite2-Country',
    languages: ['en'],
    buildEpoch: new Date('2024-01-02T03:04:05Z'),
    records: [
      { network: '81.2.69.0/24', data: { continent: europe, country: unitedKingdom } },
      { network: '2001:218::/32', data: { continent: asia, country: japan } },
    ],
  });
  const reader = Reader.openBuffer(buffer);

  it('answers country() lookups', () => {
    const gb: Country = reader.country('81.2.69.1');
    expect(gb.country?.isoCode).toBe('GB');
    expect(gb.country?.names.de).toBe('Vereinigtes Königreich');
    expect(gb.continent?.code).toBe('EU');
    expect(reader.country('2001:218::abcd').country?.names.en).toBe('Japan');
    expect(() => reader.country('1.1.1.1')).toThrow(AddressNotFoundError);
    expect(() => reader.city('81.2.69.1')).toThrow(BadMethodCallError);
  });

  it('stores the given build epoch and a default description', () => {
    const { metadata } = new MmdbReader(buffer);
    expect(metadata.databaseType).toBe('GeoLite2-Country');
    expect(metadata.buildEpoch.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(metadata.languages).toEqual(['en']);
    expect(metadata.ipVersion).toBe(6);
  });
});

describe('mmdb-writer: larger trees and record sizes', () => {
  // 300 /24 networks spread over 10.x.y.0 and 172.16-17.x.0, each with its own data.
  const manyRecords: MmdbRecord[] = Array.from({ length: 300 }, (_, i) => {
    const network = i < 200 ? `10.${i}.${(i * 7) % 256}.0/24` : `172.${16 + ((i - 200) >> 6)}.${((i - 200) & 63) * 3}.0/24`;
    return { network, data: { index: i, label: `net-${i}`, country: { iso_code: i % 2 ? 'DE' : 'FR' } } };
  });
  const sample = [0, 1, 2, 57, 99, 150, 199, 200, 201, 263, 264, 299];
  const hostIn = (network: string, last: number) => network.replace(/\.0\/24$/, `.${last}`);

  for (const recordSize of [undefined, 24, 28, 32] as const) {
    it(`looks up a sample of 300 networks (record size ${recordSize ?? 'auto'})`, () => {
      const buffer = buildMmdb({ databaseType: 'Test-Many', records: manyRecords, recordSize });
      const mmdb = openRaw(buffer);
      expect(mmdb.metadata.recordSize).toBe(recordSize ?? 24);
      // 96 + 8 shared levels, then the distinct branches: well over one node per network.
      expect(mmdb.metadata.nodeCount).toBeGreaterThan(300);
      for (const i of sample) {
        const { network } = manyRecords[i];
        const [data, prefixLength] = mmdb.getWithPrefixLength(hostIn(network, 77));
        expect(data).toMatchObject({ index: i, label: `net-${i}` });
        expect(prefixLength).toBe(24);
      }
      expect(mmdb.get('10.0.1.0')).toBeNull();
      expect(mmdb.get('172.18.0.1')).toBeNull();
      expect(mmdb.get('11.0.0.0')).toBeNull();
    });
  }

  it('switches to 28-bit records when 24 bits cannot address the data section', () => {
    // ~18 MB of distinct data pushes record values past 2^24, so the last networks' records (a
    // left one for 192.0.16.0, a right one for 192.0.17.0) use the shared middle nibble byte.
    const big = 'x'.repeat(1_000_000);
    const records = Array.from({ length: 18 }, (_, i) => ({ network: `192.0.${i}.0/24`, data: `${i}${big}` }));
    const buffer = buildMmdb({ databaseType: 'Test-Big', records });
    const mmdb = openRaw(buffer);
    expect(mmdb.metadata.recordSize).toBe(28);
    expect(String(mmdb.get('192.0.16.9'))).toMatch(/^16x{100}/);
    expect(String(mmdb.get('192.0.17.9'))).toMatch(/^17x{100}/);
    expect(String(mmdb.get('192.0.0.9'))).toMatch(/^0x{100}/);
    expect(() => buildMmdb({ databaseType: 'Test-Big', records, recordSize: 24 })).toThrow(/do not fit in 24-bit records/);
  });
});

describe('mmdb-writer: data types', () => {
  it('round-trips every supported value type through the reader', () => {
    const data = {
      text: 'héllo ✓',
      empty: '',
      long: 'y'.repeat(300), // size needs the 2-byte extension (>= 285)
      medium: 'z'.repeat(100), // size needs the 1-byte extension (>= 29)
      zero: 0,
      small: 7,
      uint32: 4_294_967_295,
      negative: -12,
      fraction: 0.25,
      huge: 2 ** 40,
      bool: true,
      no: false,
      u16: asUint16(65_535),
      i32: asInt32(-2_147_483_648),
      i32pos: asInt32(5),
      u64: asUint64(2n ** 63n + 1n),
      u128: 2n ** 100n,
      dbl: asDouble(3),
      bytes: Uint8Array.from([0, 1, 254, 255]),
      list: [1, 'two', [3], { four: 4 }],
      emptyList: [],
      emptyMap: {},
      wide: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])), // 40 pairs
    };
    const buffer = buildMmdb({ databaseType: 'Test-Types', records: [{ network: '203.0.113.0/24', data }] });
    const value = openRaw(buffer).get('203.0.113.5');
    expect(value).toEqual({
      ...data,
      u16: 65_535,
      i32: -2_147_483_648,
      i32pos: 5,
      u64: 2n ** 63n + 1n,
      dbl: 3,
      bytes: Buffer.from([0, 1, 254, 255]),
    });
  });

  it('encodes control bytes as in the spec examples', () => {
    expect(encodeMmdbValue('ab').subarray(0, 1)).toEqual(Buffer.from([0b0100_0010]));
    expect(encodeMmdbValue('x'.repeat(80)).subarray(0, 2)).toEqual(Buffer.from([0b0101_1101, 51]));
    expect(encodeMmdbValue('x'.repeat(13_392)).subarray(0, 3)).toEqual(Buffer.from([0b0101_1110, 0x33, 0x33]));
    expect(encodeMmdbValue(200)).toEqual(Buffer.from([0b1100_0001, 200]));
    expect(encodeMmdbValue([])).toEqual(Buffer.from([0, 4])); // extended type: array = 11 - 7
    expect(encodeMmdbValue(true)).toEqual(Buffer.from([1, 7])); // boolean = 14 - 7, size = value
  });
});

describe('mmdb-writer: input checks', () => {
  const build = (records: MmdbRecord[]) => buildMmdb({ databaseType: 'Test', records });

  it('rejects overlapping and duplicate networks', () => {
    expect(() => build([{ network: '10.0.0.0/8', data: 1 }, { network: '10.1.0.0/16', data: 2 }])).toThrow(
      /10\.1\.0\.0\/16 overlaps 10\.0\.0\.0\/8/,
    );
    expect(() => build([{ network: '10.1.0.0/16', data: 1 }, { network: '10.0.0.0/8', data: 2 }])).toThrow(
      /10\.0\.0\.0\/8 overlaps 10\.1\.0\.0\/16/,
    );
    expect(() => build([{ network: '10.0.0.0/8', data: 1 }, { network: '10.0.0.0/8', data: 1 }])).toThrow(/overlaps/);
    expect(() => build([{ network: '::ffff:0:0/112', data: 1 }, { network: '1.2.3.0/24', data: 2 }])).toThrow(
      /IPv4 alias/,
    );
  });

  it('allows the IPv4-mapped range when aliases are off', () => {
    const buffer = buildMmdb({
      databaseType: 'Test',
      ipv4Aliases: false,
      records: [
        { network: '1.2.3.0/24', data: 'v4' },
        { network: '::ffff:1.2.3.0/120', data: 'mapped' },
      ],
    });
    const mmdb = openRaw(buffer);
    expect(mmdb.get('1.2.3.4')).toBe('v4');
    expect(mmdb.get('::ffff:1.2.3.4')).toBe('mapped');
    expect(mmdb.get('2002:102:304::')).toBeNull();
  });

  it('rejects malformed networks and values', () => {
    expect(() => build([{ network: '81.2.69.1/24', data: 1 }])).toThrow(/host bits/);
    expect(() => build([{ network: '81.2.69.0', data: 1 }])).toThrow(/not a CIDR/);
    expect(() => build([{ network: '81.2.69.0/33', data: 1 }])).toThrow(/prefix/);
    expect(() => build([{ network: 'fe80::zz/64', data: 1 }])).toThrow(/not an IPv4 or IPv6/);
    expect(() => build([{ network: '::/0', data: 1 }])).toThrow(/not supported/);
    expect(() => build([{ network: '1.2.3.0/24', data: { a: null as never } }])).toThrow(/\.data\.a: cannot encode null/);
    expect(() => build([{ network: '1.2.3.0/24', data: asUint16(70_000) }])).toThrow(/not a valid uint16/);
  });

  it('parses compressed IPv6 and embedded IPv4 notation', () => {
    const buffer = buildMmdb({
      databaseType: 'Test',
      records: [
        { network: '2001:db8:0:0:1::/80', data: 'full' },
        { network: '2001:db8::2:0:0:0/80', data: 'compressed' },
        { network: '64:ff9b::192.0.2.0/120', data: 'embedded' },
      ],
    });
    const mmdb = openRaw(buffer);
    expect(mmdb.get('2001:db8::1:0:0:5')).toBe('full');
    expect(mmdb.get('2001:db8:0:0:2::9')).toBe('compressed');
    expect(mmdb.get('64:ff9b::c000:27f')).toBe('embedded');
  });
});

describe('mmdb-writer: writeMmdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmdb-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a file that Reader.open() reads', async () => {
    const file = join(dir, 'nested', 'GeoLite2-City.mmdb');
    writeMmdb(file, { databaseType: 'GeoLite2-City', languages: LANGUAGES, records: cityRecords });
    expect(readFileSync(file).length).toBeGreaterThan(0);
    const reader = await Reader.open(file);
    expect(reader.city('81.2.69.142').city?.names.en).toBe('London');
  });
});
