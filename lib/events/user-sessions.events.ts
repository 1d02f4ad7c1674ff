import type { UserId } from '../session/user-id.js';
import type { SessionDetails } from '../details/session-details.service.js';

/**
 * The names the store emits its events under, on the app's `EventEmitter2` (when it imports
 * `EventEmitterModule`) and as the `type` of what the `onEvent` option receives.
 *
 * @example @OnEvent(UserSessionsEvents.signedIn) onSignIn(event: UserSignedInEvent) { … }
 */
export const UserSessionsEvents = {
  /** A new session was stored: `SessionCreatedEvent`. */
  created: 'user-sessions.created',
  /** A user signed in: `UserSignedInEvent`. */
  signedIn: 'user-sessions.signed-in',
  /** One or more sessions were ended: `SessionEndedEvent`. */
  ended: 'user-sessions.ended',
  /** A session's replaced key was used after its grace, and the session ended: `SessionTheftSuspectedEvent`. */
  theftSuspected: 'user-sessions.theft-suspected',
  /** A user signed in from a device new to them (see `knownDevices`): `NewDeviceEvent`, with the "Was this you?" answers. */
  newDevice: 'user-sessions.new-device',
  /** The user answered "Yes, this was me" for a device: `DeviceAnsweredEvent`. */
  deviceTrusted: 'user-sessions.device-trusted',
  /** The user answered "No, this wasn't me": the device's sessions were ended. `DeviceAnsweredEvent`; ask for a new password. */
  deviceReported: 'user-sessions.device-reported',
  /** A session's country or network changed between two requests: `PlaceChangedEvent`. */
  placeChanged: 'user-sessions.place-changed',
  /** Two sign-ins of a user farther apart than a plane flies in the time between them: `ImpossibleTravelEvent`. */
  impossibleTravel: 'user-sessions.impossible-travel',
} as const;

/** The name of one of the store's events. */
export type UserSessionsEventType = (typeof UserSessionsEvents)[keyof typeof UserSessionsEvents];

/**
 * A new session row was stored: the first `save()` of a session (`create()`, or a request that
 * put data into an anonymous session), or a `login()` that started a fresh row. Like every
 * event, it carries the session's public id (the key's digest), never its key.
 */
export interface SessionCreatedEvent {
  type: typeof UserSessionsEvents.created;
  /** The session's public id (the key's SHA-256 digest), as the sessions API lists it. */
  sessionId: string;
  /** The signed-in user, or null for an anonymous session. */
  userId: UserId | null;
  /** The client's IP as stored (see the `ipAddresses` option), or null. */
  ip: string | null;
  /** The client's user agent as stored, or null. */
  userAgent: string | null;
  /** When it was stored. */
  at: Date;
}

/**
 * A user signed in (`login()`), with where from and whether that is new for them. Device and
 * location are worked out only when someone listens to this event.
 */
export interface UserSignedInEvent extends SessionDetails {
  type: typeof UserSessionsEvents.signedIn;
  /** The session's new public id (`login()` gives it a new key). */
  sessionId: string;
  userId: UserId;
  ip: string | null;
  userAgent: string | null;
  /**
   * With `knownDevices` (the default) and a browser that can keep the device cookie: whether the
   * device is new to this user (never signed in with, or reported); an expired session on a
   * known laptop is not news. Otherwise (known devices off, a sign-in outside HTTP): whether none
   * of the user's other unexpired sessions has this user agent, null when the user agent is
   * unknown or the other sessions could not be read (logged).
   */
  newDevice: boolean | null;
  /** The known device's public id, or null without one. */
  deviceId: string | null;
  /** Like `newDevice`, for the IP address as stored (a network with `ipAddresses: 'truncated'`). */
  newIp: boolean | null;
  at: Date;
}

/**
 * Who ended sessions:
 * - `'self'`: the session's own user, from that session (sign out: `logout()`, `delete(session)`);
 * - `'other-session'`: the user, from another of their sessions ("End session", "End all other
 *   sessions": `deleteForUser()`, `deleteOthers()`);
 * - `'admin'`: an administrator, or the app on someone's behalf (the admin API; the default of
 *   `delete(id)` and `deleteAllForUser()`);
 * - `'expiry'`: the cleanup of expired sessions (`clearExpired()`);
 * - `'session-limit'`: a sign-in beyond `maxSessionsPerUser` ended the least recently active one;
 * - `'theft-suspected'`: the key a rotation replaced came back after its grace (`rotationInterval`):
 *   two devices held the cookie. A `SessionTheftSuspectedEvent` follows.
 * - `'device-reported'`: the user answered "No, this wasn't me" for the device the session was on.
 */
export type SessionEndedBy = 'self' | 'other-session' | 'admin' | 'expiry' | 'session-limit' | 'theft-suspected' | 'device-reported';

/** Which sessions an end removed. */
export type SessionEndedScope =
  /** The session `sessionId`. */
  | 'session'
  /** Every unexpired session of `userId` but `keptSessionId`. */
  | 'others'
  /** Every session of `userId`. */
  | 'user'
  /** Expired sessions of any user. */
  | 'expired';

/**
 * Why `SessionStoreService.signOutEverywhere()` ended a user's sessions: a change to what
 * proves who they are, or to what they may do.
 */
export type SecurityEventReason = 'password-changed' | 'email-changed' | 'two-factor-changed' | 'role-changed' | 'account-locked';

/** The person (session) that ended sessions, where known. */
export interface SessionActor {
  userId: UserId | null;
  sessionId: string | null;
}

/**
 * Sessions were ended: one (`scope: 'session'`, with its `sessionId`) or several at once in
 * one statement (`'others'`, `'user'`, `'expired'`: their ids are not read, only counted).
 * Emitted only when something was deleted. `clearExpired()` emits one event per run, with the
 * count, however many rows it deleted; sessions that merely expire emit nothing until then.
 */
export interface SessionEndedEvent {
  type: typeof UserSessionsEvents.ended;
  endedBy: SessionEndedBy;
  scope: SessionEndedScope;
  /** The ended session's public id with `scope: 'session'`; otherwise null. */
  sessionId: string | null;
  /** With `scope: 'others'`: the session that was kept (null when none was); otherwise null. */
  keptSessionId: string | null;
  /** Whose sessions; null with `scope: 'expired'`. */
  userId: UserId | null;
  /** How many sessions were ended. */
  count: number;
  /** Who ended them: the user's or administrator's session, when the caller said so. */
  actor: SessionActor | null;
  /** The security event that ended them (`signOutEverywhere()`); null for any other end. */
  reason: SecurityEventReason | null;
  at: Date;
}

/** One of the two devices of a suspected cookie theft, as far as the server saw it. */
export interface SessionTheftDevice extends SessionDetails {
  ip: string | null;
  userAgent: string | null;
  /** When this device was last seen with the session. */
  seenAt: Date;
}

/**
 * A signed-in session's cookie was used from two devices: the key its last rotation replaced
 * (see `rotationInterval`) came back after the grace, while the new key was in use. One of
 * them is a copy (a stolen cookie, or a browser profile copied); the server cannot tell which,
 * so the session was ended (a `SessionEndedEvent` with `endedBy: 'theft-suspected'` comes
 * with it) and both must sign in again. Tell the user at their next sign-in ("Was this you?"),
 * and consider asking for a new password.
 */
export interface SessionTheftSuspectedEvent {
  type: typeof UserSessionsEvents.theftSuspected;
  /** The ended session's public id. */
  sessionId: string;
  /** Its user. */
  userId: UserId | null;
  /** The device that held the current key, as the session last recorded it. */
  currentKeyDevice: SessionTheftDevice;
  /** The device that came with the replaced key: this request's. */
  previousKeyDevice: SessionTheftDevice;
  /** When the replaced key came back and the session was ended. */
  at: Date;
}

/**
 * The two answers to "Was this you?" for a new device: single-use tokens (either one used
 * spends both), valid until `expiresAt`. Put them into links of the app's e-mail; the devices
 * API takes them (`POST {path}/devices/answer`). Only this event carries them: the database
 * keeps their digests.
 */
export interface DeviceAnswers {
  /** "Yes, this was me": marks the device trusted. */
  confirmToken: string;
  /** "No, this wasn't me": ends the device's sessions and marks it reported. */
  reportToken: string;
  expiresAt: Date;
}

/**
 * A user signed in from a device new to them: a browser without a device cookie they have
 * signed in with, or one they reported. A known laptop whose session expired is not new.
 * `UserSignedInEvent` comes too (its `newDevice` says the same).
 */
export interface NewDeviceEvent extends SessionDetails {
  type: typeof UserSessionsEvents.newDevice;
  userId: UserId;
  /** The new session's public id. */
  sessionId: string;
  /** The device's public id, as the devices API lists it. */
  deviceId: string;
  ip: string | null;
  userAgent: string | null;
  answers: DeviceAnswers;
  at: Date;
}

/** The user answered "Was this you?" for a device. */
export interface DeviceAnsweredEvent extends SessionDetails {
  type: typeof UserSessionsEvents.deviceTrusted | typeof UserSessionsEvents.deviceReported;
  userId: UserId;
  deviceId: string;
  /** The device's last sign-in's IP and user agent. */
  ip: string | null;
  userAgent: string | null;
  /** With `deviceReported`: how many of its sessions were ended; 0 with `deviceTrusted`. */
  endedSessions: number;
  at: Date;
}

/** One side of a risk signal: where a session or sign-in was. */
export interface RiskPlace {
  ip: string;
  /** "City, Country", or the country. */
  location: string | null;
  /** ISO 3166-1 country code, or null. */
  countryCode: string | null;
  /** The autonomous system (network) number, with a GeoIP ASN database; else null. */
  network: number | null;
  /** The network's organisation, or null. */
  networkName: string | null;
  /** When the session or sign-in was seen there. */
  at: Date;
}

/**
 * A signed-in session came from another country, or (with a GeoIP ASN database) another
 * network, than its previous request. IPs GeoIP cannot place never raise it, nor a change of
 * user agent. With `riskSignals.requireRecentLogin`, the session must enter its password again
 * before its next `@RequireRecentLogin()` action.
 */
export interface PlaceChangedEvent {
  type: typeof UserSessionsEvents.placeChanged;
  /** `'country'` (which wins when both changed) or `'network'`. */
  change: 'country' | 'network';
  sessionId: string;
  userId: UserId;
  from: RiskPlace;
  to: RiskPlace;
  /** Whether the session now needs its password again (`riskSignals.requireRecentLogin`). */
  recentLoginRequired: boolean;
  at: Date;
}

/**
 * A user signed in from a place farther from their previous sign-in than `maxTravelSpeed`
 * allows in the time between, after both places' GeoIP accuracy radius is allowed for.
 */
export interface ImpossibleTravelEvent {
  type: typeof UserSessionsEvents.impossibleTravel;
  userId: UserId;
  /** The new sign-in's session. */
  sessionId: string;
  /** The previous sign-in (on any of the user's known devices). */
  from: RiskPlace;
  /** This sign-in. */
  to: RiskPlace;
  /** Great-circle distance between the two places, in km. */
  distanceKm: number;
  /** The speed it would take, in km/h. */
  speedKmh: number;
  at: Date;
}

/** What the `onEvent` option receives: one of the store's events, told apart by `type`. */
export type UserSessionsEvent =
  | SessionCreatedEvent
  | UserSignedInEvent
  | SessionEndedEvent
  | SessionTheftSuspectedEvent
  | NewDeviceEvent
  | DeviceAnsweredEvent
  | PlaceChangedEvent
  | ImpossibleTravelEvent;

/** How the caller of a method that ends sessions says who is ending them. */
export interface EndSessionsOptions {
  /** Who ends them (see `SessionEndedBy`); each method has its own default. */
  endedBy?: Exclude<SessionEndedBy, 'expiry'>;
  /**
   * The session of whoever ends them (the user's other session, the administrator's), for the
   * event's `actor`. Only its id and user are read.
   */
  actor?: { id: string | null; userId: UserId | null } | null;
  /** The security event behind it, for the event's `reason` (`signOutEverywhere()` sets it). */
  reason?: SecurityEventReason;
}

/** A function that hears every event (the `onEvent` option); a returned promise is not awaited. */
export type UserSessionsEventListener = (event: UserSessionsEvent) => void | Promise<void>;
