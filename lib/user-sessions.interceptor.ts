import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { unauthenticated } from './http/context-errors.js';
import { LiveSessionsService } from './live/live-sessions.service.js';

/**
 * The session layer for what the HTTP middleware does not see: WebSocket gateways (socket.io,
 * ws) and GraphQL subscriptions over graphql-ws, where there is no guard to do it (a public
 * message, a subscription open to anonymous users; `UserSessionsGuard` does the same on its
 * own). At a subscription's start, or a gateway client's first message when
 * `LiveSessionsService.connect()` did not run at its connection, it loads the session of the
 * handshake's cookie (with the client's IP and user agent) and keeps the connection, so that
 * the session's end closes it on every instance. On each message it refuses a connection whose
 * session has ended, and records activity as HTTP does: at most one write per
 * `activityInterval`, none otherwise. On HTTP it does nothing: the middleware does this there,
 * without Nest's interceptor pipeline on every request (bench/README.md).
 *
 * @example @UseInterceptors(UserSessionsInterceptor) on a gateway or a subscription resolver
 */
@Injectable()
export class UserSessionsInterceptor implements NestInterceptor {
  constructor(private readonly liveSessions: LiveSessionsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    const connection = this.liveSessions.messageConnection(context);
    // HTTP: the middleware does this.
    if (connection === null) return next.handle();
    // The common case, a message on a loaded connection: no promise.
    if (!(connection instanceof Promise)) return connection.ended ? this.refuse(context) : next.handle();
    return connection.then((loaded) => (loaded.ended ? this.refuse(context) : next.handle()));
  }

  private async refuse(context: ExecutionContext): Promise<never> {
    throw await unauthenticated(context, 'Session ended.');
  }
}
