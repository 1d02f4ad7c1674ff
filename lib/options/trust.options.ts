/** How the module recognises the browsers a user signs in from (`knownDevices`). */
export interface KnownDevicesOptions {
  /**
   * Off: no device cookie and no `user_devices` rows; a sign-in's `newDevice` then falls back to
   * the user's live sessions, and no "Was this you?" question is asked.
   * @default true (with a TypeORM data source; without one there is nowhere to keep devices)
   */
  enabled?: boolean;
  /**
   * The device cookie's name: a long-lived, HttpOnly, random key per browser, stored as its
   * SHA-256 digest like session keys. With `hostPrefix` it gets the `__Host-` prefix too.
   * @default `${cookieName}_device`
   */
  cookieName?: string;
  /**
   * How long the "Was this you?" answers of a new device's event stay valid, in milliseconds.
   * @default 7 days
   */
  answerTtl?: number;
}

/** What the risk signals (country, network and impossible-travel) may do besides their events. */
export interface RiskSignalsOptions {
  /**
   * When a session's country or network changes between two requests, it must enter its
   * password again (`reauthenticate()`) before its next `@RequireRecentLogin()` action.
   * @default false
   */
  requireRecentLogin?: boolean;
  /**
   * The speed, in km/h, above which two sign-ins of one user count as "impossible travel"
   * (after the GeoIP database's accuracy radius of both places is allowed for).
   * @default 1000 (an airliner's cruising speed, rounded up)
   */
  maxTravelSpeed?: number;
}
