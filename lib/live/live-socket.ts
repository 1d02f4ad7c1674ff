import type { IncomingMessage } from 'node:http';

/** A socket.io `Socket`: its handshake's request is on it. */
export interface IoSocketLike {
  request: IncomingMessage;
  connected: boolean;
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(close?: boolean): unknown;
  once(event: 'disconnect', listener: () => void): unknown;
}

/** A `ws` WebSocket (a gateway's client on Nest's WsAdapter, or a graphql-ws connection's socket). */
export interface WsSocketLike {
  readyState: number;
  close(code?: number, reason?: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/** A live connection's client: socket.io's or ws's. */
export type LiveSocket = IoSocketLike | WsSocketLike;

/**
 * The close code a connection gets when its session is signed out, ended or expired, or when
 * its handshake had none: graphql-ws's "Unauthorized", in the range RFC 6455 leaves to apps.
 */
export const UNAUTHENTICATED_CLOSE_CODE = 4401;

/** A handshake from a page of another origin (`checkOrigin`): graphql-ws's "Forbidden". */
export const FORBIDDEN_CLOSE_CODE = 4403;

/** The session could not be loaded (the database is down): RFC 6455's "internal error". */
export const INTERNAL_ERROR_CLOSE_CODE = 1011;

const GRAPHQL_CODES: Record<number, string> = { [UNAUTHENTICATED_CLOSE_CODE]: 'UNAUTHENTICATED', [FORBIDDEN_CLOSE_CODE]: 'FORBIDDEN' };

export function isWsSocket(client: object): client is WsSocketLike {
  return typeof (client as WsSocketLike).readyState === 'number' && typeof (client as WsSocketLike).close === 'function';
}

/** Whether the client is still open. */
export function isOpen(socket: LiveSocket): boolean {
  return isWsSocket(socket) ? socket.readyState <= 1 : socket.connected;
}

/**
 * Closes the client, saying why in its library's way: a ws client gets the close `code` (4401
 * unless said) with `reason`; a socket.io client gets Nest's `exception` event (`{ status,
 * message, code }`, the code in GraphQL's words) and is disconnected.
 */
export function closeSocket(socket: LiveSocket, reason: string, code = UNAUTHENTICATED_CLOSE_CODE): void {
  if (isWsSocket(socket)) {
    if (socket.readyState <= 1) socket.close(code, reason);
    return;
  }
  if (!socket.connected) return;
  socket.emit('exception', { status: 'error', message: reason, code: GRAPHQL_CODES[code] ?? 'INTERNAL_SERVER_ERROR' });
  socket.disconnect(true);
}

/** Calls `listener` once when the client closes. */
export function onClose(socket: LiveSocket, listener: () => void): void {
  if (isWsSocket(socket)) socket.once('close', listener);
  else socket.once('disconnect', listener);
}
