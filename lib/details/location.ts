import { readFile, stat } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import type { ReaderModel } from '@maxmind/geoip2-node';
import { normalizeIp } from '../session/client.js';
import type { GeoPoint } from './geo-point.js';
import { NetworkLocator } from './network-locator.js';
import { localeCandidates } from './locale.js';

/** Where the GeoIP database is, like Django's GEOIP_PATH settings. */
export interface GeoIpOptions {
  /**
   * A directory holding `GeoLite2-City.mmdb` / `GeoIP2-City.mmdb` (preferred) or
   * `GeoLite2-Country.mmdb` / `GeoIP2-Country.mmdb`, or the path of one database file.
   */
  path?: string;
  /** A GeoLite2/GeoIP2 City database file; wins over `path`. */
  cityDatabase?: string;
  /** A GeoLite2/GeoIP2 Country database file, used when no City database is given. */
  countryDatabase?: string;
  /**
   * A GeoLite2/GeoIP2 ASN database file: with it, a session that moves to another network
   * within its country raises `placeChanged` (`change: 'network'`).
   */
  asnDatabase?: string;
  /**
   * Language of the place names when a lookup names none: one the database carries (MaxMind's
   * carry `'de'`, `'en'`, `'es'`, `'fr'`, `'ja'`, `'pt-BR'`, `'ru'`, `'zh-CN'`), or a tag that
   * finds one (`'de-AT'` → `'de'`, `'pt'` → `'pt-BR'`); English where a name is missing in it.
   * @default 'en'
   */
  locale?: string;
}

const DIRECTORY_FILES = ['GeoLite2-City.mmdb', 'GeoIP2-City.mmdb', 'GeoLite2-Country.mmdb', 'GeoIP2-Country.mmdb'];

/** Addresses that no GeoIP database places: private, loopback, link-local, reserved, documentation. */
const UNLOCATABLE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  UNLOCATABLE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64],
] as const) {
  UNLOCATABLE.addSubnet(network, prefix, 'ipv6');
}

/** Whether an address is one that no database can place (private, loopback, reserved). */
export function isUnlocatable(ip: string): boolean {
  const version = isIP(ip);
  return version === 0 || UNLOCATABLE.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}

/** geoip2-node's `Names`: one name per locale the database carries. */
type Names = object;

interface Place {
  city: Names | undefined;
  country: Names | undefined;
}
interface LookupRecord {
  city?: { names?: Names };
  country?: { names?: Names; isoCode?: string };
  location?: { latitude?: number; longitude?: number; accuracyRadius?: number };
}
type Lookup = (reader: ReaderModel, ip: string) => LookupRecord;

/**
 * A GeoIP database held in memory: opened once, looked up without I/O. Without a usable
 * database every lookup is null, so a missing file never stops the app.
 */
export class GeoIpLocator {
  /** The `names` keys to read, in order, for lookups that name no locale. */
  private readonly defaultLocales: string[];

  private constructor(
    private readonly reader: ReaderModel | null,
    private readonly lookup: Lookup | null,
    locale: string,
    /** The database file in use, or null. */
    readonly file: string | null,
    private readonly networks: NetworkLocator = NetworkLocator.none(),
  ) {
    this.defaultLocales = namesToTry(locale);
  }

  /** A locator that knows no place. */
  static none(): GeoIpLocator {
    return new GeoIpLocator(null, null, 'en', null);
  }

  /**
   * Opens the database the options name and reads it into memory. A missing, unreadable or
   * corrupt file gives one warning through `warn` (which path, what is wrong) and a locator
   * that answers null.
   */
  static async open(options: GeoIpOptions | undefined, warn: (message: string) => void = () => {}): Promise<GeoIpLocator> {
    if (!options || (!options.path && !options.cityDatabase && !options.countryDatabase)) {
      return GeoIpLocator.none();
    }
    const locale = options.locale ?? 'en';
    const networks = await NetworkLocator.open(options.asnDatabase, warn);
    let file: string | null = null;
    try {
      file = await chooseFile(options);
      if (file === null) {
        warn(`GeoIP: no ${DIRECTORY_FILES.join(' / ')} in ${options.path}; locations will be empty.`);
        return GeoIpLocator.none();
      }
      // Loaded only by apps that configure a database: the others never pay for it.
      const { Reader, BadMethodCallError } = await import('@maxmind/geoip2-node');
      const reader = Reader.openBuffer(await readFile(file));
      const lookup = detectLookup(reader, BadMethodCallError);
      if (lookup === null) {
        warn(`GeoIP: ${file} is neither a City nor a Country database; locations will be empty.`);
        return GeoIpLocator.none();
      }
      return new GeoIpLocator(reader, lookup, locale, file, networks);
    } catch (error) {
      warn(`GeoIP: cannot use ${file ?? options.path}: ${(error as Error).message}; locations will be empty.`);
      return GeoIpLocator.none();
    }
  }

  /** Whether a database is loaded. */
  get enabled(): boolean {
    return this.reader !== null;
  }

  /**
   * "City, Country", or "Country" when the database has no city for the address; null for
   * private, reserved and unknown addresses, invalid strings, and without a database.
   * `locale` picks the language of the names (see `GeoIpOptions.locale`: `'de-AT'` finds
   * `'de'`); without it, the `locale` option's. Each name is English where the database lacks
   * it in that language.
   *
   * @example location('81.2.69.142') // 'London, United Kingdom'
   * @example location('81.2.69.142', 'de') // 'London, Vereinigtes Königreich'
   */
  location(ip: string | null | undefined, locale?: string): string | null {
    const place = this.place(ip);
    const locales = this.locales(locale);
    const city = name(place.city, locales);
    const country = name(place.country, locales);
    if (city && country) return `${city}, ${country}`;
    return country ?? city;
  }

  /** The city name, or null; `locale` as for `location()`. */
  city(ip: string | null | undefined, locale?: string): string | null {
    return name(this.place(ip).city, this.locales(locale));
  }

  /** The country name, or null; `locale` as for `location()`. */
  country(ip: string | null | undefined, locale?: string): string | null {
    return name(this.place(ip).country, this.locales(locale));
  }

  private locales(locale: string | undefined): string[] {
    return locale === undefined ? this.defaultLocales : namesToTry(locale);
  }

  /**
   * What the risk signals compare: the country's ISO code, the coordinates and their accuracy,
   * the place's name, and the network (with `asnDatabase`). Null where the database has no
   * record of the address.
   */
  point(ip: string | null | undefined): GeoPoint | null {
    const record = this.record(ip);
    const network = this.networks.network(ip);
    if (record === null && network === null) return null;
    return {
      countryCode: record?.country?.isoCode ?? null,
      location: this.location(ip),
      latitude: record?.location?.latitude ?? null,
      longitude: record?.location?.longitude ?? null,
      accuracyRadius: record?.location?.accuracyRadius ?? null,
      network: network?.number ?? null,
      networkName: network?.name ?? null,
    };
  }

  private record(ip: string | null | undefined): LookupRecord | null {
    const address = normalizeIp(ip);
    if (this.reader === null || this.lookup === null || address === null || isUnlocatable(address)) return null;
    try {
      return this.lookup(this.reader, address);
    } catch {
      return null;
    }
  }

  private place(ip: string | null | undefined): Place {
    const address = normalizeIp(ip);
    if (this.reader === null || this.lookup === null || address === null || isUnlocatable(address)) {
      return { city: undefined, country: undefined };
    }
    try {
      const record = this.lookup(this.reader, address);
      return { city: record.city?.names, country: record.country?.names };
    } catch {
      // Not in the database (AddressNotFoundError), or a record the reader cannot decode.
      return { city: undefined, country: undefined };
    }
  }
}

/** The `names` keys that serve a reader of `locale`, best first, English last. */
function namesToTry(locale: string): string[] {
  const candidates = localeCandidates(locale);
  return candidates.includes('en') ? candidates : [...candidates, 'en'];
}

/** The first of `locales` that `names` has; null when it has none of them. */
function name(names: Names | undefined, locales: readonly string[]): string | null {
  if (names === undefined) return null;
  for (const locale of locales) {
    // hasOwn: a locale string must not find Object's own properties ("constructor").
    const value: unknown = Object.hasOwn(names, locale) ? (names as Record<string, unknown>)[locale] : undefined;
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

async function chooseFile(options: GeoIpOptions): Promise<string | null> {
  if (options.cityDatabase) return options.cityDatabase;
  if (options.countryDatabase) return options.countryDatabase;
  const path = options.path!;
  if (!(await stat(path)).isDirectory()) return path;
  for (const name of DIRECTORY_FILES) {
    const candidate = join(path, name);
    if (await stat(candidate).then((entry) => entry.isFile(), () => false)) return candidate;
  }
  return null;
}

/** City (and Enterprise) databases answer city(); Country databases only country(). */
function detectLookup(reader: ReaderModel, BadMethodCallError: new (...args: never[]) => Error): Lookup | null {
  const candidates: Lookup[] = [
    (model, ip) => model.city(ip),
    (model, ip) => model.enterprise(ip),
    (model, ip) => model.country(ip),
  ];
  for (const candidate of candidates) {
    try {
      candidate(reader, '0.0.0.0');
      return candidate;
    } catch (error) {
      if (!(error instanceof BadMethodCallError)) return candidate;
    }
  }
  return null;
}
