import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { writeMmdb } from './mmdb-writer.js';

/**
 * A directory holding a small GeoLite2-City database in which 81.2.69.0/24 is London, United
 * Kingdom (as in MaxMind's own test data), removed after the file's tests.
 */
export function useLondonGeoipDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), `${prefix}-geoip-`));
  writeMmdb(join(directory, 'GeoLite2-City.mmdb'), {
    databaseType: 'GeoLite2-City',
    languages: ['en'],
    records: [
      { network: '81.2.69.0/24', data: { city: { names: { en: 'London' } }, country: { names: { en: 'United Kingdom' } } } },
    ],
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}
