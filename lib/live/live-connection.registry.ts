import type { SessionsEnded } from '../events/user-sessions-events.publisher.js';
import type { UserSession } from '../session/user-session.js';
import type { LiveConnection } from './live-connection.js';

/** How often expired sessions' connections are looked for: an expiry closes them within this. */
const EXPIRY_SWEEP_INTERVAL = 1000;

/**
 * How long an end is remembered, for a connection whose session was read just before it ended
 * and is added just after: longer than any session load takes.
 */
const RECENT_END_WINDOW = 30_000;

/**
 * This instance's open connections, by session and by user, so that an end closes them at
 * once; and a sweep each second that finds those whose session looks expired (or idle), for the
 * caller to check.
 */
export class LiveConnectionRegistry {
  private readonly bySession = new Map<string, Set<LiveConnection>>();
  private readonly byUser = new Map<string, Set<LiveConnection>>();
  private sweep: NodeJS.Timeout | null = null;
  private recentEnds: { ended: SessionsEnded; at: number }[] = [];

  constructor(
    private readonly isActive: (session: UserSession) => boolean,
    /** A connection whose session looks expired here: the caller checks the row, and closes it or not. */
    private readonly looksExpired: (connection: LiveConnection) => void,
  ) {}

  get size(): number {
    let size = 0;
    for (const connections of this.bySession.values()) size += connections.size;
    return size;
  }

  /** Keeps the connection; false when its session ended while it was being loaded (it is then closed). */
  add(connection: LiveConnection, loadedAt: number): boolean {
    const { sessionId, userKey } = connection;
    if (sessionId === null) return true;
    if (this.recentEnds.some(({ ended, at }) => at >= loadedAt && matches(ended, connection))) {
      connection.end('Session ended.');
      return false;
    }
    addTo(this.bySession, sessionId, connection);
    if (userKey !== null) addTo(this.byUser, userKey, connection);
    this.sweep ??= setInterval(() => this.closeExpired(), EXPIRY_SWEEP_INTERVAL).unref();
    return true;
  }

  remove(connection: LiveConnection): void {
    const { sessionId, userKey } = connection;
    if (sessionId !== null) removeFrom(this.bySession, sessionId, connection);
    if (userKey !== null) removeFrom(this.byUser, userKey, connection);
    if (this.bySession.size === 0) this.stop();
  }

  /** Closes the connections of the sessions that ended. */
  end(ended: SessionsEnded): void {
    const now = Date.now();
    this.recentEnds = this.recentEnds.filter(({ at }) => at > now - RECENT_END_WINDOW);
    this.recentEnds.push({ ended, at: now });
    const candidates = 'sessionId' in ended ? this.bySession.get(ended.sessionId) : this.byUser.get(String(ended.userId));
    for (const connection of [...(candidates ?? [])]) {
      if (matches(ended, connection)) this.close(connection, 'Session ended.');
    }
  }

  stop(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
  }

  private closeExpired(): void {
    for (const connections of [...this.bySession.values()]) {
      for (const connection of [...connections]) {
        if (!this.isActive(connection.session)) this.looksExpired(connection);
      }
    }
  }

  /** Ends one connection (its session was found gone). */
  close(connection: LiveConnection, reason: string): void {
    this.remove(connection);
    connection.end(reason);
  }
}

function matches(ended: SessionsEnded, connection: LiveConnection): boolean {
  if ('sessionId' in ended) return connection.sessionId === ended.sessionId;
  return connection.userKey === String(ended.userId) && connection.sessionId !== ended.exceptSessionId;
}

function addTo(index: Map<string, Set<LiveConnection>>, key: string, connection: LiveConnection): void {
  let connections = index.get(key);
  if (!connections) index.set(key, (connections = new Set()));
  connections.add(connection);
}

function removeFrom(index: Map<string, Set<LiveConnection>>, key: string, connection: LiveConnection): void {
  const connections = index.get(key);
  if (!connections?.delete(connection)) return;
  if (connections.size === 0) index.delete(key);
}
