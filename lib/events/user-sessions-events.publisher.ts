import { Inject, Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { SessionRecord } from '../session/session-record.js';
import type { SeenClient } from '../session/session-mapper.js';
import type { UserSession } from '../session/user-session.js';
import type { UserId } from '../session/user-id.js';
import { SessionDetailsService } from '../details/session-details.service.js';
import {
  UserSessionsEvents,
  type DeviceAnsweredEvent,
  type EndSessionsOptions,
  type ImpossibleTravelEvent,
  type NewDeviceEvent,
  type PlaceChangedEvent,
  type SessionEndedBy,
  type SessionEndedEvent,
  type UserSessionsEvent,
  type UserSessionsEventListener,
  type UserSessionsEventType,
} from './user-sessions.events.js';

/** @internal The client of an ended session, where the caller has it (a sign-out), for the history. */
export interface EndedClient {
  ip: string | null;
  userAgent: string | null;
  deviceId: string | null;
}

/** What an `ended` event says was ended (besides the options' actor and who ended it). */
type EndedSessions = Partial<Pick<SessionEndedEvent, 'sessionId' | 'keptSessionId' | 'userId'>> & { count: number; client?: EndedClient };

/**
 * @internal Which sessions ended, for what must follow every end (closing live connections):
 * one session, or a user's sessions but the one kept (null: all of them). Expiry is not told:
 * whoever holds a session knows when it expires.
 */
export type SessionsEnded = { sessionId: string; userId: UserId | null } | { userId: UserId; exceptSessionId: string | null };

/** @internal An end as the security activity history records it: the `ended` event's facts. */
export type SessionsEndedRecord = Omit<SessionEndedEvent, 'type'>;

/** The parts of `EventEmitter2` the publisher uses. */
interface EventEmitterLike {
  hasListeners(event: string): boolean;
  listenersAny?(): unknown[];
  emitAsync(event: string, payload: unknown): Promise<unknown> | unknown;
}

/**
 * @internal Builds the store's events and hands them to the `onEvent` option and to the app's
 * `EventEmitter2`. Each is built only when someone listens.
 *
 * `@nestjs/event-emitter` is an optional peer: it is imported dynamically, once at start-up,
 * and only an app that registered `EventEmitterModule` has an emitter to find; an app without
 * the package gets the callback alone. Publishing never throws and never waits: a listener's
 * error, thrown or rejected, is logged, and its promise is not awaited.
 */
@Injectable()
export class UserSessionsEventsPublisher implements OnModuleInit {
  private readonly logger = new Logger('UserSessions');
  private emitter: EventEmitterLike | null = null;
  private readonly endListeners: ((ended: SessionsEnded) => void)[] = [];
  private readonly endRecorders: ((ended: SessionsEndedRecord, client: EndedClient | null) => Promise<void>)[] = [];

  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: { onEvent?: UserSessionsEventListener },
    private readonly moduleRef: ModuleRef,
    private readonly details: SessionDetailsService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.emitter = await findEventEmitter(this.moduleRef);
  }

  /**
   * Whether anyone hears events of this type: then the store works out what only the event
   * needs (a sign-in's device, location and other sessions). A callback hears every type.
   */
  isListening(type: UserSessionsEventType): boolean {
    const emitter = this.emitter;
    return (
      this.options.onEvent !== undefined ||
      (emitter !== null && (emitter.hasListeners(type) || (emitter.listenersAny?.().length ?? 0) > 0))
    );
  }

  /** A session was stored for the first time, at `at`. */
  created(session: UserSession, at: Date): void {
    if (!this.isListening(UserSessionsEvents.created)) return;
    this.publish({
      type: UserSessionsEvents.created,
      sessionId: session.id!,
      userId: session.userId,
      ip: session.ip,
      userAgent: session.userAgent,
      at,
    });
  }

  /**
   * A user signed in, with whether their other unexpired sessions (`others`, null when they
   * could not be read) know this user agent and IP.
   */
  signedIn(session: UserSession, others: SessionRecord[] | null, at: Date, device: { id: string; isNew: boolean } | null): void {
    const isNew = (field: 'ip' | 'userAgent') =>
      others === null || session[field] === null ? null : !others.some((other) => other[field] === session[field]);
    this.publish({
      type: UserSessionsEvents.signedIn,
      sessionId: session.id!,
      userId: session.userId!,
      ip: session.ip,
      userAgent: session.userAgent,
      ...this.details.describe(session),
      newDevice: device ? device.isNew : isNew('userAgent'),
      deviceId: device?.id ?? null,
      newIp: isNew('ip'),
      at,
    });
  }

  /** A user signed in on a device new to them; `event` lacks only its type and names. */
  newDevice(session: UserSession, event: Pick<NewDeviceEvent, 'deviceId' | 'answers' | 'at'>): void {
    if (!this.isListening(UserSessionsEvents.newDevice)) return;
    this.publish({
      type: UserSessionsEvents.newDevice,
      userId: session.userId!,
      sessionId: session.id!,
      ip: session.ip,
      userAgent: session.userAgent,
      ...this.details.describe(session),
      ...event,
    });
  }

  /** The user answered "Was this you?" for a device. */
  deviceAnswered(event: Omit<DeviceAnsweredEvent, 'device' | 'browser' | 'platform' | 'location'> & { clientPlatform: string | null; clientPlatformVersion: string | null }): void {
    if (!this.isListening(event.type)) return;
    const { clientPlatform, clientPlatformVersion, ...rest } = event;
    this.publish({ ...rest, ...this.details.describe({ ...event, clientPlatform, clientPlatformVersion }) });
  }

  /** A risk signal: a session's place changed, or an impossible travel between sign-ins. */
  riskSignal(event: PlaceChangedEvent | ImpossibleTravelEvent): void {
    if (this.isListening(event.type)) this.publish(event);
  }

  /** @internal Records every end (the security activity history); `ended()` waits for it. */
  recordEndsWith(recorder: (ended: SessionsEndedRecord, client: EndedClient | null) => Promise<void>): void {
    this.endRecorders.push(recorder);
  }

  /** @internal Hears every end but expiry, whether or not the app listens to events. */
  onSessionsEnded(listener: (ended: SessionsEnded) => void): void {
    this.endListeners.push(listener);
  }

  /**
   * @internal A sign-in gave the session a new public id (see `SessionStoreService.login()`):
   * what held the previous one (a live connection) holds a session that is gone. No event: the
   * session goes on under its new id.
   */
  sessionIdReplaced(previousId: string, userId: UserId | null): void {
    this.tellEndListeners({ sessionId: previousId, userId });
  }

  /**
   * Sessions were ended; `defaultEndedBy` unless the caller's options say who. Resolves once the
   * history has recorded it (never rejects: a failure to record is logged).
   */
  async ended(scope: SessionEndedEvent['scope'], options: EndSessionsOptions, defaultEndedBy: SessionEndedBy, ended: EndedSessions): Promise<void> {
    if (scope !== 'expired') {
      this.tellEndListeners(
        scope === 'session'
          ? { sessionId: ended.sessionId!, userId: ended.userId ?? null }
          : { userId: ended.userId!, exceptSessionId: ended.keptSessionId ?? null },
      );
    }
    const listening = this.isListening(UserSessionsEvents.ended);
    if (!listening && this.endRecorders.length === 0) return;
    const actor = options.actor ? { userId: options.actor.userId, sessionId: options.actor.id } : null;
    const record: SessionsEndedRecord = {
      endedBy: options.endedBy ?? defaultEndedBy,
      scope,
      sessionId: ended.sessionId ?? null,
      keptSessionId: ended.keptSessionId ?? null,
      userId: ended.userId ?? null,
      count: ended.count,
      actor,
      reason: options.reason ?? null,
      at: new Date(),
    };
    // Recorded first: a listener that shows the history (a live page) finds the entry there.
    for (const recorder of this.endRecorders) await recorder(record, ended.client ?? null);
    if (listening) this.publish({ type: UserSessionsEvents.ended, ...record });
  }

  /**
   * The replaced key of `record`'s session came back from `seen` after its grace at `at`, and the
   * session was ended: both devices, with their device and place names.
   */
  theftSuspected(record: SessionRecord, seen: SeenClient, at: Date): void {
    if (!this.isListening(UserSessionsEvents.theftSuspected)) return;
    const presented = {
      ip: seen.ip,
      userAgent: seen.userAgent,
      clientPlatform: seen.hints?.platform ?? null,
      clientPlatformVersion: seen.hints?.platformVersion ?? null,
    };
    this.publish({
      type: UserSessionsEvents.theftSuspected,
      sessionId: record.id,
      userId: record.userId,
      currentKeyDevice: { ip: record.ip, userAgent: record.userAgent, ...this.details.describe(record), seenAt: record.lastActivity },
      previousKeyDevice: { ip: seen.ip, userAgent: seen.userAgent, ...this.details.describe(presented), seenAt: at },
      at,
    });
  }

  private tellEndListeners(which: SessionsEnded): void {
    for (const listener of this.endListeners) this.settle(UserSessionsEvents.ended, () => listener(which));
  }

  /** Delivers the event; called after the database write it reports succeeded. */
  private publish(event: UserSessionsEvent): void {
    const { onEvent } = this.options;
    if (onEvent) this.settle(event.type, () => onEvent(event));
    // emitAsync rather than emit: it hands back the listeners' promises, so that a rejection
    // (an @OnEvent listener with suppressErrors: false) is logged, not left unhandled.
    if (this.emitter?.hasListeners(event.type) || this.emitter?.listenersAny?.().length) {
      const emitter = this.emitter;
      this.settle(event.type, () => emitter.emitAsync(event.type, event));
    }
  }

  private settle(type: string, deliver: () => unknown): void {
    try {
      const result = deliver();
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        Promise.resolve(result).catch((error: unknown) => this.listenerFailed(type, error));
      }
    } catch (error) {
      this.listenerFailed(type, error);
    }
  }

  private listenerFailed(type: string, error: unknown): void {
    this.logger.error(`A listener of "${type}" failed: ${(error as Error)?.message ?? error}`, (error as Error)?.stack);
  }
}

/**
 * The app's `EventEmitter2`, or null when `@nestjs/event-emitter` is not installed or the app
 * did not register `EventEmitterModule`.
 */
async function findEventEmitter(moduleRef: ModuleRef): Promise<EventEmitterLike | null> {
  let token: Type<unknown>;
  try {
    ({ EventEmitter2: token } = (await import('@nestjs/event-emitter')) as { EventEmitter2: Type<unknown> });
  } catch {
    return null;
  }
  try {
    return moduleRef.get<unknown, EventEmitterLike>(token, { strict: false });
  } catch {
    return null;
  }
}
