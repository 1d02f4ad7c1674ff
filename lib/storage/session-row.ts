import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { SessionRecord } from './session-storage.interface.js';

/** The part of a TypeORM driver that turns a column's raw value into the entity's. */
export interface HydratingDriver {
  options: { type: string };
  prepareHydratedValue(value: unknown, column: ColumnMetadata): unknown;
}

/** The drivers that store a `Date` as the text `parseSqliteUtcDatetime()` reads. */
const SQLITE_DRIVERS = new Set(['better-sqlite3', 'sqlite', 'sqljs', 'capacitor', 'cordova', 'expo', 'nativescript', 'react-native']);

/** A column of the request's SELECT: the alias it comes back under, and its metadata. */
export interface SelectedColumn {
  alias: string;
  column: ColumnMetadata;
}

/** Column types whose non-null values every driver returns as strings, left as they are. */
const TEXT_TYPES = new Set<unknown>(['varchar', 'character varying', 'text', 'uuid']);

/**
 * Turns a raw row of the request's primary-key SELECT into a `SessionRecord`, as the driver's
 * own `prepareHydratedValue()` would, but without its per-value type dispatch where the answer
 * is known once per column: text stays text, a `Date` stays a `Date`, and the one datetime
 * format TypeORM writes to SQLite is read without regular expressions (on SQLite only: MySQL's
 * `dateStrings` text looks the same but is in the server's time zone). Anything else (a
 * transformer, another format, another type) takes the driver's own path. `session-row.spec.ts`
 * checks that both agree.
 */
export function createRowHydrator(driver: HydratingDriver, columns: SelectedColumn[]): (row: Record<string, unknown>) => SessionRecord {
  const sqlite = SQLITE_DRIVERS.has(driver.options.type);
  const converters = columns.map(({ alias, column }) => ({ alias, property: column.propertyName, convert: converterFor(driver, column, sqlite) }));
  return (row) => {
    const record: Record<string, unknown> = {};
    for (const { alias, property, convert } of converters) record[property] = convert(row[alias]);
    return record as unknown as SessionRecord;
  };
}

function converterFor(driver: HydratingDriver, column: ColumnMetadata, sqlite: boolean): (value: unknown) => unknown {
  const driverPath = (value: unknown) => driver.prepareHydratedValue(value, column);
  if (column.transformer) return driverPath;
  if (column.type === Date) {
    return (value) => {
      if (value instanceof Date || value === null) return value;
      return (sqlite && typeof value === 'string' && parseSqliteUtcDatetime(value)) || driverPath(value);
    };
  }
  if (TEXT_TYPES.has(column.type)) {
    return (value) => (typeof value === 'string' || value === null ? value : driverPath(value));
  }
  return driverPath;
}

const DIGIT_0 = 48;

/**
 * `YYYY-MM-DD HH:MM:SS.mmm` in UTC, the way TypeORM stores a `Date` column in SQLite, as a
 * Date; null for any other text (the driver's path then decides), including dates that do not
 * exist and years below 100 (which `Date.UTC` would move to the 1900s).
 */
export function parseSqliteUtcDatetime(text: string): Date | null {
  if (text.length !== 23) return null;
  const number = (from: number, to: number): number => {
    let value = 0;
    for (let index = from; index < to; index++) {
      const digit = text.charCodeAt(index) - DIGIT_0;
      if (digit < 0 || digit > 9) return NaN;
      value = value * 10 + digit;
    }
    return value;
  };
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.') return null;
  const year = number(0, 4);
  const month = number(5, 7);
  const day = number(8, 10);
  const hours = number(11, 13);
  const minutes = number(14, 16);
  const seconds = number(17, 19);
  const milliseconds = number(20, 23);
  const valid =
    year >= 100 && month >= 1 && month <= 12 && day >= 1 && hours <= 23 && minutes <= 59 && seconds <= 59 && milliseconds >= 0;
  // (Every comparison with NaN, a field that is not all digits, is false.)
  if (!valid || !(hours >= 0 && minutes >= 0 && seconds >= 0)) return null;
  const date = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, milliseconds));
  // Day 31 of a 30-day month would roll over into the next one.
  return date.getUTCDate() === day ? date : null;
}
