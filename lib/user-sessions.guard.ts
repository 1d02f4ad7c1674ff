import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { RequestSessionService } from './http/request-session.service.js';
import { requestOf } from './http/context-request.js';
import type { UserSession } from './session/user-session.js';

/** What a request carries for code written for Passport. */
interface RequestWithUser {
  user?: unknown;
}

/**
 * Lets a request through only when its session has a signed-in user; 401 otherwise (in a
 * GraphQL resolver, an `UNAUTHENTICATED` error). Like
 * Passport's `AuthGuard`, it sets `request.user` (`{ id }` unless `user()` is overridden),
 * so code written for Passport keeps reading it. Its check is the request's one primary-key
 * SELECT, which the handler then reuses.
 *
 * @example @UseGuards(UserSessionsGuard)
 */
@Injectable()
export class UserSessionsGuard implements CanActivate {
  constructor(protected readonly requestSessions: RequestSessionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = requestOf<RequestWithUser>(context);
    const session = await this.requestSessions.getSession(request);
    if (!this.isAllowed(session, context)) {
      throw new UnauthorizedException('Sign in to continue.');
    }
    // A user set before (by Passport, or another guard) is left as it is.
    if (request.user === undefined) {
      const user = this.user(session, context);
      request.user = user instanceof Promise ? await user : user;
    }
    return true;
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
