import { readFile } from 'node:fs/promises';
import type { ReaderModel } from '@maxmind/geoip2-node';
import { normalizeIp } from '../session/client.js';

/** The network an IP belongs to: its autonomous system. */
export interface Network {
  number: number;
  name: string | null;
}

/**
 * A GeoLite2/GeoIP2 ASN database in memory (`geoip.asnDatabase`), for the risk signals'
 * "network changed". Without one every lookup is null.
 */
export class NetworkLocator {
  private constructor(private readonly reader: ReaderModel | null) {}

  static none(): NetworkLocator {
    return new NetworkLocator(null);
  }

  /** Opens the ASN database; a missing or unusable file is one warning and a locator that answers null. */
  static async open(file: string | undefined, warn: (message: string) => void = () => {}): Promise<NetworkLocator> {
    if (!file) return NetworkLocator.none();
    try {
      const { Reader, AddressNotFoundError } = await import('@maxmind/geoip2-node');
      const reader = Reader.openBuffer(await readFile(file));
      try {
        reader.asn('1.1.1.1');
      } catch (error) {
        // Absent from the database is fine; another error (not an ASN database) is not.
        if (!(error instanceof AddressNotFoundError)) throw error;
      }
      return new NetworkLocator(reader);
    } catch (error) {
      warn(`GeoIP: cannot use ${file} as an ASN database: ${(error as Error).message}; network changes will not be seen.`);
      return NetworkLocator.none();
    }
  }

  /** The IP's autonomous system, or null (no database, private or unknown address). */
  network(ip: string | null | undefined): Network | null {
    const address = normalizeIp(ip);
    if (this.reader === null || address === null) return null;
    try {
      const record = this.reader.asn(address);
      return record.autonomousSystemNumber === undefined ? null : { number: record.autonomousSystemNumber, name: record.autonomousSystemOrganization ?? null };
    } catch {
      return null;
    }
  }
}
