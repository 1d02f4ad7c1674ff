import { readFile, stat } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import type { ReaderModel } from '@maxmind/geoip2-node';
import { normalizeIp } from '../session/client.js';

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
   * Language of the place names, one the database carries (`'de'`, `'fr'`, `'ja'`, …);
   * English where a name is missing in it.
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

interface Place {
  city: string | null;
  country: string | null;
}

/** geoip2-node's `Names`: one name per locale the database carries. */
type Names = object;
type Lookup = (reader: ReaderModel, ip: string) => { city?: { names?: Names }; country?: { names?: Names } };

/**
 * A GeoIP database held in memory: opened once, looked up without I/O. Without a usable
 * database every lookup is null, so a missing file never stops the app.
 */
export class GeoIpLocator {
  private constructor(
    private readonly reader: ReaderModel | null,
    private readonly lookup: Lookup | null,
    private readonly locale: string,
    /** The database file in use, or null. */
    readonly file: string | null,
  ) {}

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
      return new GeoIpLocator(reader, lookup, locale, file);
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
   *
   * @example location('81.2.69.142') // 'London, United Kingdom'
   */
  location(ip: string | null | undefined): string | null {
    const place = this.place(ip);
    if (place.city && place.country) return `${place.city}, ${place.country}`;
    return place.country ?? place.city;
  }

  /** The city name, or null. */
  city(ip: string | null | undefined): string | null {
    return this.place(ip).city;
  }

  /** The country name, or null. */
  country(ip: string | null | undefined): string | null {
    return this.place(ip).country;
  }

  private place(ip: string | null | undefined): Place {
    const address = normalizeIp(ip);
    if (this.reader === null || this.lookup === null || address === null || isUnlocatable(address)) {
      return { city: null, country: null };
    }
    try {
      const record = this.lookup(this.reader, address);
      return { city: this.name(record.city?.names), country: this.name(record.country?.names) };
    } catch {
      // Not in the database (AddressNotFoundError), or a record the reader cannot decode.
      return { city: null, country: null };
    }
  }

  private name(names: Names | undefined): string | null {
    const byLocale = names as Record<string, string | undefined> | undefined;
    return byLocale?.[this.locale] ?? byLocale?.en ?? null;
  }
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
