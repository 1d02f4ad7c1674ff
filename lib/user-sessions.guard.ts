import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { RequestSessionService } from './http/request-session.service.js';
import type { UserSession } from './session/user-session.js';

/**
 * Lets a request through only when its session has a signed-in user; 401 otherwise.
 * Its check is the request's one primary-key SELECT, which the handler then reuses.
 *
 * @example @UseGuards(UserSessionsGuard)
 */
@Injectable()
export class UserSessionsGuard implements CanActivate {
  constructor(protected readonly requestSessions: RequestSessionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // switchToHttp().getRequest() is this argument, after three closures assigned onto the context.
    const request = context.getArgByIndex<object>(0);
    const session = await this.requestSessions.getSession(request);
    if (!this.isAllowed(session, context)) {
      throw new UnauthorizedException('Sign in to continue.');
    }
    return true;
  }

  /** Override to add conditions (a role stored in the session, say). */
  protected isAllowed(session: UserSession, _context: ExecutionContext): boolean {
    return session.isAuthenticated;
  }
}
