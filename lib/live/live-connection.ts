import type { RequestSessionHandle } from '../http/request-session-handle.js';
import type { UserSession } from '../session/user-session.js';
import { closeSocket, type LiveSocket } from './live-socket.js';

/**
 * One open WebSocket (a gateway's client, or a graphql-ws connection) and the session its
 * handshake's cookie named, loaded once. Ending it marks the session ended, so no message that
 * is still on its way is let through, and closes the socket.
 */
export class LiveConnection {
  ended = false;
  /** The activity write under way, so that a burst of messages makes one. */
  touching: Promise<void> | null = null;
  /** The check of its row under way, when its session looked expired. */
  checking: Promise<void> | null = null;
  /** Its key was replaced since the handshake: its messages record no activity (see `LiveSessionsService`). */
  activityLost = false;

  /** What the registry finds it by, kept as loaded: an ended session has neither. */
  readonly sessionId: string | null;
  readonly userKey: string | null;

  constructor(
    readonly socket: LiveSocket,
    readonly handle: RequestSessionHandle,
    readonly session: UserSession,
  ) {
    this.sessionId = session.id;
    this.userKey = session.userId === null ? null : String(session.userId);
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.session.markEnded();
    closeSocket(this.socket, reason);
  }
}
