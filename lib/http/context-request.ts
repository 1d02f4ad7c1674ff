import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/** What graphql-ws gives a subscription on `ws`: the connection's socket and its handshake. */
interface GraphqlWsExtra {
  socket: object;
  request: IncomingMessage;
}

/** What a ws client is kept with: the handshake's request, which ws does not keep. */
const HANDSHAKE = Symbol('nestjs-user-sessions:handshake');

interface HandshakeCarrier {
  [HANDSHAKE]?: IncomingMessage;
  /** socket.io keeps its handshake's request as `request`. */
  request?: unknown;
  handshake?: unknown;
}

/** Keeps a ws client's handshake request on it, for the guards and decorators of its messages. */
export function keepHandshake(client: object, request: IncomingMessage): void {
  (client as HandshakeCarrier)[HANDSHAKE] = request;
}

/** The handshake request of a WebSocket client: socket.io's, or the one `keepHandshake()` kept; undefined when unknown. */
export function handshakeOf(client: object): IncomingMessage | undefined {
  const carrier = client as HandshakeCarrier;
  if (carrier[HANDSHAKE]) return carrier[HANDSHAKE];
  return typeof carrier.handshake === 'object' && typeof carrier.request === 'object' ? (carrier.request as IncomingMessage) : undefined;
}

/**
 * What carries the session behind a guard's, an interceptor's or a decorator's context:
 * - on an HTTP route, the request: the first argument (what `switchToHttp().getRequest()`
 *   returns, without the three closures it assigns onto the context);
 * - in a GraphQL query or mutation, the `req` that @nestjs/apollo puts into the GraphQL context
 *   on Express and on Fastify (or a `request`, for a context that names it so); it went through
 *   the module's middleware like any route, so its session is there;
 * - in a WebSocket gateway, and in a GraphQL subscription over graphql-ws, the socket: its
 *   session is the connection's, kept on it by `LiveSessionsService` (see `liveSocketOf()`).
 */
export function requestOf<T extends object = object>(context: ExecutionContext): T {
  // A hand-made context in an app's unit test may have no getType(): that is an HTTP one.
  const type = context.getType?.<string>();
  // HTTP, and a gateway's client (its session is kept on it).
  if (type !== 'graphql') return context.getArgByIndex<T>(0);
  const graphqlContext = context.getArgByIndex<{ req?: T; request?: T; extra?: unknown } | undefined>(2);
  const extra = graphqlWsExtraOf(graphqlContext);
  if (extra) return extra.socket as T;
  const request = graphqlContext?.req ?? graphqlContext?.request;
  if (!request) {
    throw new Error(
      'UserSessions: the GraphQL context has no `req`. Keep the request in it: `context: ({ req }) => ({ req })` (Apollo), or leave `context` unset.',
    );
  }
  return request;
}

/**
 * The WebSocket behind a context: a gateway's client, or a graphql-ws subscription's socket;
 * null on HTTP (a query or mutation).
 */
export function liveSocketOf(context: ExecutionContext): { socket: object; request: IncomingMessage | undefined } | null {
  const type = context.getType?.<string>();
  if (type === 'ws') {
    const client = context.getArgByIndex<object>(0);
    return { socket: client, request: handshakeOf(client) };
  }
  if (type !== 'graphql') return null;
  const extra = graphqlWsExtraOf(context.getArgByIndex(2));
  return extra ? { socket: extra.socket, request: extra.request } : null;
}

/**
 * graphql-ws's `extra` in a GraphQL context: as its `req` (@nestjs/apollo's default context
 * over graphql-ws is the connection's context), or kept by the app's `context` function.
 */
function graphqlWsExtraOf(graphqlContext: unknown): GraphqlWsExtra | undefined {
  if (typeof graphqlContext !== 'object' || graphqlContext === null) return undefined;
  const { req, extra } = graphqlContext as { req?: { extra?: unknown }; extra?: unknown };
  const candidate = (typeof req === 'object' && req !== null ? req.extra : undefined) ?? extra;
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const { socket, request } = candidate as Partial<GraphqlWsExtra>;
  return typeof socket === 'object' && socket !== null && typeof request === 'object' && request !== null ? { socket, request } : undefined;
}
