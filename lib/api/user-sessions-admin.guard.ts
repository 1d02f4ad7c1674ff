import {
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { RequestSessionService } from '../http/request-session.service.js';
import type { UserSession } from '../session/user-session.js';

/**
 * Lets only administrators (the `isAdmin` option) reach the admin API. Everyone else, signed
 * in or not, gets the 404 that Nest gives a path with no route, so the API does not reveal
 * that it exists. Costs the request's primary-key SELECT (shared with the handler) plus
 * whatever `isAdmin` does.
 */
@Injectable()
export class UserSessionsAdminGuard implements CanActivate {
  private readonly logger = new Logger('UserSessions');

  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly requestSessions: RequestSessionService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<object>();
    const session = await this.requestSessions.getSession(request);
    if (session.isAuthenticated && (await this.isAdmin(session, request))) {
      return true;
    }
    const { httpAdapter } = this.adapterHost;
    throw new NotFoundException(`Cannot ${httpAdapter.getRequestMethod(request)} ${httpAdapter.getRequestUrl(request)}`);
  }

  /**
   * Only `true` allows. A throwing `isAdmin` (its user lookup failed, say) denies and is
   * logged: a 500 would tell a non-administrator that something is there.
   */
  private async isAdmin(session: UserSession, request: object): Promise<boolean> {
    try {
      return (await this.options.isAdmin!({ userId: session.userId!, session, request })) === true;
    } catch (error) {
      this.logger.error(
        `isAdmin threw, so the request to the admin API was refused with 404: ${(error as Error)?.message ?? error}`,
        (error as Error)?.stack,
      );
      return false;
    }
  }
}
