import { Logger } from '@nestjs/common';
import { MAX_DATA_BYTES } from '../user-sessions.constants.js';

/** JSON-compatible session data. */
export type SessionData = Record<string, unknown>;

/**
 * Where the session data's JSON keeps what the library itself records about the session (the
 * time of the last password entry), beside the app's values. The store takes it out when it
 * reads a row and puts it back when it writes one, so the app never sees it: `get()`,
 * `toObject()` and `clear()` neither show nor lose it, and `set()` refuses the name.
 */
export const RESERVED_DATA_KEY = '__userSessions';

/** @internal What the library keeps under `RESERVED_DATA_KEY`. */
interface ReservedData {
  /** When the user last entered their password: `login()` or `reauthenticate()`, epoch ms. */
  authenticatedAt?: number;
  /** The known device (`user_devices` row) the session was signed in on. */
  deviceId?: string;
}

/** @internal The session data as read from a row: the app's values and the library's record. */
export interface ReadSessionData {
  data: SessionData;
  authenticatedAt: number | null;
  deviceId: string | null;
}

/** @internal What the library records about a session beside the app's data. */
export interface SessionRecords {
  authenticatedAt: number | null;
  deviceId: string | null;
}

const logger = new Logger('UserSessions');

/**
 * @internal Splits the data read from a row into the app's values and the time of the last
 * password entry (null when there is none, or it is not a valid time).
 */
export function splitReservedData(data: SessionData): ReadSessionData {
  if (!Object.hasOwn(data, RESERVED_DATA_KEY)) return { data, authenticatedAt: null, deviceId: null };
  const reserved = data[RESERVED_DATA_KEY] as ReservedData | null;
  delete data[RESERVED_DATA_KEY];
  const at = reserved?.authenticatedAt;
  const deviceId = reserved?.deviceId;
  return {
    data,
    authenticatedAt: typeof at === 'number' && Number.isFinite(at) ? at : null,
    deviceId: typeof deviceId === 'string' && deviceId.length > 0 && deviceId.length <= 64 ? deviceId : null,
  };
}

/** @internal A row's data JSON as the app's values and the library's record; unreadable JSON is empty data (logged). */
export function readSessionData(json: string, id: string | null): ReadSessionData {
  try {
    const data: unknown = JSON.parse(json);
    if (data !== null && typeof data === 'object' && !Array.isArray(data)) return splitReservedData(data as SessionData);
  } catch {
    // fall through
  }
  logger.warn(`Session ${id?.slice(0, 8) ?? ''}… has unreadable data; it is treated as empty.`);
  return { data: {}, authenticatedAt: null, deviceId: null };
}

/**
 * @internal The data column's JSON: the app's values with the library's record. Throws a
 * RangeError when it is too large for the column (MySQL/MariaDB TEXT), before any write.
 */
export function writeSessionData(data: SessionData, records: SessionRecords): string {
  const reserved: ReservedData = {};
  if (records.authenticatedAt !== null) reserved.authenticatedAt = records.authenticatedAt;
  if (records.deviceId !== null) reserved.deviceId = records.deviceId;
  // A spread defines properties: an own "__proto__" value stays a value.
  const json = JSON.stringify(Object.keys(reserved).length === 0 ? data : { ...data, [RESERVED_DATA_KEY]: reserved });
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_DATA_BYTES) {
    throw new RangeError(
      `Session data is ${bytes} bytes of JSON; at most ${MAX_DATA_BYTES} fit. Store large values elsewhere and keep their ids in the session.`,
    );
  }
  return json;
}
