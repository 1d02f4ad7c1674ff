import type { GeoPoint } from '../details/geo-point.js';
import type { UserSession } from '../session/user-session.js';
import type { ImpossibleTravelEvent, PlaceChangedEvent, RiskPlace } from '../events/user-sessions.events.js';
import { UserSessionsEvents } from '../events/user-sessions.events.js';
import type { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import type { SecurityActivityService } from '../activity/security-activity.service.js';
import { distanceKm } from './travel.js';

/** What places an IP: `GeoIpLocator`. */
export interface PointLocator {
  point(ip: string | null | undefined): GeoPoint | null;
}

/** A change of place a request brought, found before its write and reported after it. */
export interface PlaceChange {
  change: 'country' | 'network';
  from: RiskPlace;
  to: RiskPlace;
}

/** Below this, two sign-ins are "the same place" whatever the time between them. */
const NEARBY_KM = 500;

/**
 * The risk signals: a signed-in session whose country or network changes between two requests,
 * and two sign-ins of a user farther apart than `maxTravelSpeed` allows. Both from the GeoIP
 * database in memory: no query. A signal is an event and a history entry, written only when
 * one fires. What stays quiet (on purpose, against false alarms): IPs the database cannot
 * place, a change of IP within one country and network (mobile carriers, DHCP), any change of
 * user agent (browser updates), and sign-ins less than 500 km apart.
 */
export class RiskSignals {
  /** The change each session object's request brought (or null), until it is reported. */
  private readonly found = new WeakMap<UserSession, PlaceChange | null>();

  constructor(
    private readonly locator: PointLocator,
    private readonly options: { requireRecentLogin: boolean; maxTravelSpeed: number },
    private readonly events: UserSessionsEventsPublisher,
    private readonly activity: SecurityActivityService,
  ) {}

  /**
   * The country or network change of a signed-in session whose request comes from another IP
   * than the row's (sync, in memory), or null. With `requireRecentLogin`, a change makes the
   * session enter its password again for its next `@RequireRecentLogin()` action.
   */
  placeChange(session: UserSession, now: Date): PlaceChange | null {
    const before = session.stored?.ip ?? null;
    const after = session.ip;
    if (session.userId === null || before === null || after === null || before === after) return null;
    // Found once per session object: at load (with requireRecentLogin), then again at its write.
    if (this.found.has(session)) return this.found.get(session)!;
    const change = this.compare(before, after, session.lastActivity, now);
    this.found.set(session, change);
    if (change && this.options.requireRecentLogin) session.setAuthenticatedAt(null);
    return change;
  }

  /** Whether a change must be found as the session loads, before any guard reads `authenticatedAt`. */
  get checksAtLoad(): boolean {
    return this.options.requireRecentLogin;
  }

  private compare(before: string, after: string, beforeAt: Date, now: Date): PlaceChange | null {
    const from = this.locator.point(before);
    const to = this.locator.point(after);
    if (from === null || to === null) return null;
    let change: PlaceChange['change'] | null = null;
    if (from.countryCode !== null && to.countryCode !== null && from.countryCode !== to.countryCode) change = 'country';
    else if (from.network !== null && to.network !== null && from.network !== to.network) change = 'network';
    return change === null ? null : { change, from: riskPlace(before, from, beforeAt), to: riskPlace(after, to, now) };
  }

  /** Reports a change once the request's write succeeded: its event and history entry. */
  async reportPlaceChange(session: UserSession, change: PlaceChange, now: Date): Promise<void> {
    this.found.delete(session);
    const event: PlaceChangedEvent = {
      type: UserSessionsEvents.placeChanged,
      change: change.change,
      sessionId: session.id!,
      userId: session.userId!,
      from: change.from,
      to: change.to,
      recentLoginRequired: this.options.requireRecentLogin,
      at: now,
    };
    this.events.riskSignal(event);
    await this.activity.record({
      userId: event.userId,
      kind: change.change === 'country' ? 'country-changed' : 'network-changed',
      at: now,
      sessionId: event.sessionId,
      ip: change.to.ip,
      userAgent: session.userAgent,
      details: { from: placeDetails(change.from), to: placeDetails(change.to) },
    });
  }

  /**
   * Whether this sign-in is an impossible travel from the user's previous one: farther than
   * `maxTravelSpeed` allows in the time between, once both places' accuracy radius is taken
   * off the distance. Reports it (event and history) when it is.
   */
  async checkTravel(session: UserSession, previous: { ip: string | null; at: Date } | null, now: Date): Promise<boolean> {
    if (previous === null || previous.ip === null || session.ip === null || previous.ip === session.ip) return false;
    const from = this.locator.point(previous.ip);
    const to = this.locator.point(session.ip);
    if (from?.latitude == null || to?.latitude == null) return false;
    const distance = distanceKm({ latitude: from.latitude, longitude: from.longitude! }, { latitude: to.latitude, longitude: to.longitude! });
    const uncertain = (from.accuracyRadius ?? 0) + (to.accuracyRadius ?? 0);
    const travelled = distance - uncertain;
    if (travelled < NEARBY_KM) return false;
    const hours = Math.max(now.getTime() - previous.at.getTime(), 1000) / 3_600_000;
    const speedKmh = travelled / hours;
    if (speedKmh <= this.options.maxTravelSpeed) return false;
    const event: ImpossibleTravelEvent = {
      type: UserSessionsEvents.impossibleTravel,
      userId: session.userId!,
      sessionId: session.id!,
      from: riskPlace(previous.ip, from, previous.at),
      to: riskPlace(session.ip, to, now),
      distanceKm: Math.round(distance),
      speedKmh: Math.round(speedKmh),
      at: now,
    };
    this.events.riskSignal(event);
    await this.activity.record({
      userId: event.userId,
      kind: 'impossible-travel',
      at: now,
      sessionId: event.sessionId,
      deviceId: session.deviceId,
      ip: session.ip,
      userAgent: session.userAgent,
      details: { from: placeDetails(event.from), to: placeDetails(event.to), distanceKm: event.distanceKm, speedKmh: event.speedKmh },
    });
    return true;
  }
}

function riskPlace(ip: string, point: GeoPoint, at: Date): RiskPlace {
  return { ip, location: point.location, countryCode: point.countryCode, network: point.network, networkName: point.networkName, at };
}

/** A place as the history keeps it: its IP (the locale-free fact) and what GeoIP said. */
function placeDetails(place: RiskPlace): Record<string, unknown> {
  return { ip: place.ip, countryCode: place.countryCode, network: place.network, at: place.at.toISOString() };
}
