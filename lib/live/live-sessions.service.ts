import { Inject, Injectable, Logger, type ExecutionContext, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import { RequestSessionService } from '../http/request-session.service.js';
import { handshakeOf, keepHandshake, liveSocketOf } from '../http/context-request.js';
import { keepHandle } from '../http/request-session-handle.js';
import { isCrossOriginHandshake } from '../http/same-origin.js';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { SessionStoreService } from '../store/session-store.service.js';
import { GuardedSessionStorage } from '../storage/guarded-session.storage.js';
import { SessionLifetime } from '../session/session-lifetime.js';
import type { UserSession } from '../session/user-session.js';
import type { SessionRecord } from '../session/session-record.js';
import { LiveConnection } from './live-connection.js';
import { LiveConnectionRegistry } from './live-connection.registry.js';
import { closeSocket, FORBIDDEN_CLOSE_CODE, INTERNAL_ERROR_CLOSE_CODE, isOpen, onClose, type LiveSocket } from './live-socket.js';
import { SessionEndBus } from './session-end-bus.js';

/** What a client carries its connection under: while it loads, and once loaded. */
const LIVE_CONNECTION = Symbol('nestjs-user-sessions:live-connection');
const LOADED_CONNECTION = Symbol('nestjs-user-sessions:loaded-connection');

interface ConnectionCarrier {
  [LIVE_CONNECTION]?: Promise<LiveConnection>;
  [LOADED_CONNECTION]?: LiveConnection;
}

/** How long a connection waits for the other instances' ends to be heard before it goes on without. */
const LISTEN_TIMEOUT = 2000;

/** How `connect()` treats a handshake without a signed-in user. */
export interface LiveConnectOptions {
  /** Keep the connection open for an anonymous session (a public feed, say). @default false: closed */
  allowAnonymous?: boolean;
}

/**
 * The sessions of live connections: WebSocket gateways (socket.io and ws) and GraphQL
 * subscriptions over graphql-ws. A connection's session is loaded once, from its handshake's
 * cookie (one primary-key SELECT, with the client's IP as the app's trust-proxy setting sees it
 * and its user agent); ending that session (by its user, "end all others", an admin, a stolen
 * cookie, the session limit) closes the connection at once, on every instance (`SessionEndBus`),
 * and an expired one is closed within a second. Messages cost no SQL, but the activity write
 * at most once per `activityInterval`, as on HTTP.
 */
@Injectable()
export class LiveSessionsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('UserSessions');
  private readonly registry: LiveConnectionRegistry;
  private listenFailed = false;

  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly requestSessions: RequestSessionService,
    private readonly store: SessionStoreService,
    private readonly storage: GuardedSessionStorage,
    private readonly lifetime: SessionLifetime,
    private readonly events: UserSessionsEventsPublisher,
    private readonly bus: SessionEndBus,
  ) {
    this.registry = new LiveConnectionRegistry(
      (session) => lifetime.isActive(session),
      (connection) => void this.confirmActive(connection),
    );
  }

  onModuleInit(): void {
    this.events.onSessionsEnded((ended) => {
      this.registry.end(ended);
      this.bus.publish(ended);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.registry.stop();
    await this.bus.close();
  }

  /** How ends reach the other instances: `'redis'`, `'postgres'` or `'in-process'` (this one only). */
  get transport(): SessionEndBus['transport'] {
    return this.bus.transport;
  }

  /** How many connections with a stored session this instance holds open. */
  get openConnections(): number {
    return this.registry.size;
  }

  /**
   * Call it from a gateway's `handleConnection(client, request)`: loads the session of the
   * handshake's cookie and keeps the connection so that its session's end closes it. Without
   * a signed-in user the client is closed at once (ws: close code 4401; socket.io: an
   * `exception` event, then a disconnect), unless `allowAnonymous`. Returns the session, or null
   * when the client was closed. `request` is the handshake (ws passes it to handleConnection;
   * socket.io keeps it on the client, so it may be left out).
   *
   * @example async handleConnection(client: WebSocket, request: IncomingMessage) { await this.liveSessions.connect(client, request) }
   */
  async connect(client: object, request?: IncomingMessage, options: LiveConnectOptions = {}): Promise<UserSession | null> {
    let connection: LiveConnection;
    try {
      connection = await this.track(client, request);
    } catch (error) {
      // Nest does not await handleConnection(): a rejection here would be unhandled.
      this.logger.error(`A WebSocket's session could not be loaded; the socket is closed: ${(error as Error)?.message ?? error}`);
      closeSocket(client as LiveSocket, 'The session could not be loaded.', INTERNAL_ERROR_CLOSE_CODE);
      return null;
    }
    if (connection.ended || !isOpen(connection.socket)) return null;
    if (!connection.session.isAuthenticated && !options.allowAnonymous) {
      closeSocket(connection.socket, 'Sign in to continue.');
      return null;
    }
    return connection.session;
  }

  /**
   * @internal The connection of a WebSocket context (a gateway's message, a GraphQL
   * subscription's start), null elsewhere (HTTP, GraphQL over HTTP); loaded on first use, then
   * at hand without a promise. Each call is a message: its activity is recorded here (see
   * `recordActivity()`), so that the guard and the interceptor, either or both, do it once.
   */
  messageConnection(context: ExecutionContext): LiveConnection | Promise<LiveConnection> | null {
    const live = liveSocketOf(context);
    if (!live) return null;
    const loaded = (live.socket as ConnectionCarrier)[LOADED_CONNECTION];
    if (!loaded) return this.track(live.socket, live.request).then((connection) => this.recordActivity(connection));
    // Past its expiry as this instance last saw it: the row says whether it really is.
    if (!loaded.ended && !this.lifetime.isActive(loaded.session)) return this.confirmActive(loaded).then(() => this.recordActivity(loaded));
    return this.recordActivity(loaded);
  }

  /** @internal `messageConnection()`'s session. */
  messageSession(context: ExecutionContext): UserSession | Promise<UserSession> | null {
    const connection = this.messageConnection(context);
    if (connection === null) return null;
    return connection instanceof Promise ? connection.then(({ session }) => session) : connection.session;
  }

  /**
   * @internal The client's connection: loaded and kept on first use (by `connect()`, or by the
   * interceptor at a subscription's start or a gateway's first message), then the same one.
   */
  track(client: object, request?: IncomingMessage): Promise<LiveConnection> {
    const carrier = client as ConnectionCarrier;
    const known = carrier[LIVE_CONNECTION];
    if (known) return known;
    const handshake = request ?? handshakeOf(client);
    if (!handshake) {
      throw new Error(
        "UserSessions: this WebSocket client has no handshake request. On the ws platform, call `liveSessions.connect(client, request)` in the gateway's handleConnection(client, request).",
      );
    }
    if (request) keepHandshake(client, request);
    const opening = this.open(client as LiveSocket, handshake);
    carrier[LIVE_CONNECTION] = opening;
    // A failed load (database down) may be retried by the next message.
    opening.catch(() => {
      if (carrier[LIVE_CONNECTION] === opening) delete carrier[LIVE_CONNECTION];
    });
    return opening;
  }

  /**
   * A message arrived on the connection: its activity is recorded as on HTTP, at most one
   * write per `activityInterval` (none otherwise), without a new key (a socket cannot set the
   * browser's cookie). The write is not awaited: the message goes on, and a failure is logged.
   * A row found gone (an end this instance was not told of) closes the connection.
   */
  private recordActivity(connection: LiveConnection): LiveConnection {
    const session = connection.session;
    if (connection.ended || connection.activityLost || connection.touching !== null || !this.lifetime.activityIsDue(session)) return connection;
    connection.touching = this.store
      .touch(session, { rotateKey: false })
      .then((found) => (found ? undefined : this.keyNotFound(connection)))
      .catch((error: unknown) => this.logger.warn(`Could not record a live connection's activity: ${(error as Error)?.message ?? error}`))
      .finally(() => (connection.touching = null));
    return connection;
  }

  /**
   * The activity write found no row with the connection's key: the session ended (an end this
   * instance was not told of), and the connection is closed; or its key was replaced since the
   * handshake in a way no write can follow (`reauthenticate()`, `cycleKey()`, two rotations), and
   * the connection stops recording activity (the browser's requests record it).
   */
  private async keyNotFound(connection: LiveConnection): Promise<void> {
    const record = await this.storage.findById(connection.sessionId!);
    if (this.stillHolds(connection, record)) connection.activityLost = true;
    else this.registry.close(connection, 'Session ended.');
  }

  /** Whether `record`, read by the connection's session id, is still its user's session and active. */
  private stillHolds(connection: LiveConnection, record: SessionRecord | null): record is SessionRecord {
    return record !== null && (record.userId === null ? null : String(record.userId)) === connection.userKey && this.lifetime.isActive(record);
  }

  /**
   * The connection's session looks expired as this instance last saw it; with `idleTimeout`,
   * HTTP requests may have moved its expiry since. The row decides: the connection is closed, or
   * its session takes the row's activity and expiry.
   */
  private confirmActive(connection: LiveConnection): Promise<void> {
    connection.checking ??= this.storage
      .findById(connection.sessionId!)
      .then((record) => {
        if (this.stillHolds(connection, record)) connection.session.markTouched(record.lastActivity, record.expireDate);
        else this.registry.close(connection, 'Session expired.');
      })
      .catch((error: unknown) => this.logger.warn(`Could not check a live connection's session: ${(error as Error)?.message ?? error}`))
      .finally(() => (connection.checking = null));
    return connection.checking;
  }

  private async open(socket: LiveSocket, handshake: IncomingMessage): Promise<LiveConnection> {
    // Hearing the other instances first: an end published while the session loads is not missed.
    await this.listen();
    // Its own handle, kept on the socket: socket.io shares the handshake between namespaces.
    const handle = this.requestSessions.createHandle(handshake);
    keepHandle(socket, handle);
    if (isCrossOriginHandshake(handshake, this.options)) {
      // A page of another site opened it with the user's cookie: no session for it.
      const refused = new LiveConnection(socket, handle, this.requestSessions.newSession(handle));
      handle.session = refused.session;
      (socket as ConnectionCarrier)[LOADED_CONNECTION] = refused;
      refused.ended = true;
      closeSocket(socket, 'Cross-origin WebSocket refused.', FORBIDDEN_CLOSE_CODE);
      return refused;
    }
    const loadedAt = Date.now();
    const session = await handle.load();
    const connection = new LiveConnection(socket, handle, session);
    (socket as ConnectionCarrier)[LOADED_CONNECTION] = connection;
    if (!isOpen(socket)) return connection;
    if (this.registry.add(connection, loadedAt)) onClose(socket, () => this.registry.remove(connection));
    return connection;
  }

  /** Starts hearing the other instances' ends; a bus that does not answer in time is warned of, and not waited for. */
  private async listen(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${LISTEN_TIMEOUT} ms`)), LISTEN_TIMEOUT).unref();
    });
    try {
      await Promise.race([this.bus.listen((ended) => this.registry.end(ended)), timeout]);
      this.listenFailed = false;
    } catch (error) {
      if (!this.listenFailed) {
        this.logger.warn(
          `Ends of sessions on other instances cannot be heard (${this.bus.transport}: ${(error as Error)?.message ?? error}); this instance's sockets close on its own ends only, until it can`,
        );
      }
      this.listenFailed = true;
    } finally {
      clearTimeout(timer);
    }
  }
}
