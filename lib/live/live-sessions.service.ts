import { Injectable, Logger, type ExecutionContext, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import { RequestSessionService } from '../http/request-session.service.js';
import { handshakeOf, keepHandshake, liveSocketOf } from '../http/context-request.js';
import { SessionStoreService } from '../store/session-store.service.js';
import { GuardedSessionStorage } from '../storage/guarded-session.storage.js';
import { SessionLifetime } from '../session/session-lifetime.js';
import type { UserSession } from '../session/user-session.js';
import { LiveConnection } from './live-connection.js';
import { LiveConnectionRegistry } from './live-connection.registry.js';
import { closeSocket, isOpen, onClose, type LiveSocket } from './live-socket.js';
import { SessionEndBus } from './session-end-bus.js';

/** What a client carries its connection under: while it loads, and once loaded. */
const LIVE_CONNECTION = Symbol('nestjs-user-sessions:live-connection');
const LOADED_CONNECTION = Symbol('nestjs-user-sessions:loaded-connection');

interface ConnectionCarrier {
  [LIVE_CONNECTION]?: Promise<LiveConnection>;
  [LOADED_CONNECTION]?: LiveConnection;
}

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

  constructor(
    private readonly requestSessions: RequestSessionService,
    private readonly store: SessionStoreService,
    private readonly storage: GuardedSessionStorage,
    private readonly lifetime: SessionLifetime,
    private readonly events: UserSessionsEventsPublisher,
    private readonly bus: SessionEndBus,
  ) {
    this.registry = new LiveConnectionRegistry((session) => lifetime.isActive(session));
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
    const connection = await this.track(client, request);
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
   * instance was not told of), and the connection is closed; or its key was replaced twice
   * since the handshake (`rotationInterval`, by HTTP requests), which no write can follow, and
   * the connection stops recording activity (the browser's requests record it).
   */
  private async keyNotFound(connection: LiveConnection): Promise<void> {
    const record = await this.storage.findById(connection.sessionId!);
    const alive =
      record !== null && (record.userId === null ? null : String(record.userId)) === connection.userKey && this.lifetime.isActive(record);
    if (alive) connection.activityLost = true;
    else this.registry.close(connection, 'Session ended.');
  }

  private async open(socket: LiveSocket, handshake: IncomingMessage): Promise<LiveConnection> {
    // Hearing the other instances first: an end published while the session loads is not missed.
    await this.bus.listen((ended) => this.registry.end(ended));
    const handle = this.requestSessions.forRequest(handshake);
    const loadedAt = Date.now();
    const session = await handle.load();
    const connection = new LiveConnection(socket, handle, session);
    (socket as ConnectionCarrier)[LOADED_CONNECTION] = connection;
    if (!isOpen(socket)) return connection;
    if (this.registry.add(connection, loadedAt)) onClose(socket, () => this.registry.remove(connection));
    return connection;
  }
}
