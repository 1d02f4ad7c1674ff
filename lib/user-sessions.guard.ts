import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RequestSessionService } from './http/request-session.service.js';
import { requestOf } from './http/context-request.js';
import { unauthenticated } from './http/context-errors.js';
import { LiveSessionsService } from './live/live-sessions.service.js';
import type { UserSession } from './session/user-session.js';

/** What a request carries for code written for Passport. */
interface RequestWithUser {
  user?: unknown;
}

/**
 * Lets a request through only when its session has a signed-in user; 401 otherwise (in a
 * GraphQL resolver, an `UNAUTHENTICATED` error; in a WebSocket gateway, an `exception` message
 * with `code: 'UNAUTHENTICATED'`). On a WebSocket (a gateway's message, a GraphQL
 * subscription's start) the session is the connection's, loaded once from its handshake and
 * ended with it: no SQL per message. Like
 * Passport's `AuthGuard`, it sets `request.user` (`{ id }` unless `user()` is overridden),
 * so code written for Passport keeps reading it. Its check is the request's one primary-key
 * SELECT, which the handler then reuses.
 *
 * @example @UseGuards(UserSessionsGuard)
 */
@Injectable()
export class UserSessionsGuard implements CanActivate {
  /**
   * A property, so that subclasses' constructors need not pass it on; absent from a guard made
   * with `new` (an app's unit test), which then serves HTTP alone.
   */
  @Inject(LiveSessionsService) protected readonly liveSessions?: LiveSessionsService;

  constructor(protected readonly requestSessions: RequestSessionService) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = requestOf<RequestWithUser>(context);
    const session = this.liveSessions?.messageSession(context) ?? this.requestSessions.getSession(request);
    // A WebSocket message after the first has its connection's session at hand: no promise.
    return session instanceof Promise ? session.then((loaded) => this.admit(loaded, request, context)) : this.admit(session, request, context);
  }

  private admit(session: UserSession, request: RequestWithUser, context: ExecutionContext): boolean | Promise<boolean> {
    if (!this.isAllowed(session, context)) {
      return unauthenticated(context).then((error) => Promise.reject(error));
    }
    // A user set before (by Passport, or another guard) is left as it is.
    if (request.user !== undefined) return true;
    const user = this.user(session, context);
    if (!(user instanceof Promise)) {
      request.user = user;
      return true;
    }
    return user.then((resolved) => {
      request.user = resolved;
      return true;
    });
  }

  /** Override to add conditions (a role stored in the session, say). */
  protected isAllowed(session: UserSession, _context: ExecutionContext): boolean {
    return session.isAuthenticated;
  }

  /**
   * What `request.user` becomes: `{ id }` of the signed-in user. Override to load the app's
   * own user; it runs on every request the guard lets through, so cache it or keep it cheap.
   *
   * @example
   * protected override user(session: UserSession) { return this.users.findById(session.userId!) }
   */
  protected user(session: UserSession, _context: ExecutionContext): unknown {
    return { id: session.userId };
  }
}
