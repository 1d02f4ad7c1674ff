import type { Logger } from '@nestjs/common';
import type { RequestSessionService } from './request-session.service.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';
import { STORE_UNAVAILABLE } from './error-response.js';

/** How `commitBeforeSending` lets a response go, or answers in its place. */
export interface OutgoingResponse {
  /** Sends the response as the app made it. */
  send(): void;
  /** Answers with this status and JSON body instead (or breaks the connection if too late). */
  refuse(status: number, error: object): void;
}

/**
 * Commits a request's session as its response (of status `statusCode`) is about to leave:
 * after a 5xx nothing is saved; nothing to write (the common case) sets the cookie and sends
 * at once, synchronously; otherwise the one write runs first, so the cookie and the row
 * always agree. The middleware runs it when the response ends, the Fastify hook (see
 * `user-sessions-fastify.hook.ts`) before Fastify writes the headers. `response` is what
 * cookies are set on: Express's or Node's response, or Fastify's reply.
 */
export function commitBeforeSending(
  requests: RequestSessionService,
  logger: Logger,
  request: object,
  response: unknown,
  statusCode: number,
  outgoing: OutgoingResponse,
): void {
  if (requests.commitWithoutWriting(request, response, statusCode)) {
    outgoing.send();
    return;
  }
  requests.commit(request, response).then(
    () => outgoing.send(),
    (error: unknown) => {
      if (error instanceof SessionStoreUnavailableException) {
        outgoing.refuse(503, STORE_UNAVAILABLE);
        return;
      }
      logger.error(`Session commit failed: ${(error as Error)?.stack ?? error}`);
      // Data too large for the column, or not JSON (a BigInt, a cycle): the app's bug, and
      // a retry fails the same way, so not a 503. Nest's own answer to an uncaught error.
      outgoing.refuse(500, { statusCode: 500, message: 'Internal server error' });
    },
  );
}
