import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RECENT_LOGIN_METADATA, USER_SESSIONS_MODULE_OPTIONS } from './user-sessions.constants.js';
import type { RequireRecentLoginOptions, ResolvedUserSessionsOptions } from './options/user-sessions-module-options.interface.js';
import { RequestSessionService } from './http/request-session.service.js';
import { requestOf } from './http/context-request.js';
import { reauthenticationRequired, unauthenticated } from './http/context-errors.js';
import { LiveSessionsService } from './live/live-sessions.service.js';
import type { UserSession } from './session/user-session.js';

/**
 * What `@RequireRecentLogin()` records on a route: a time limit in milliseconds, or, on the
 * module's own routes, the `requireRecentLogin` option that holds it.
 */
export type RecentLoginRequirement = number | { option: keyof RequireRecentLoginOptions };

/**
 * "Sudo mode": lets a request through only when its user entered their password within the
 * route's time limit (`@RequireRecentLogin(maxAge)`): at `login()` or at
 * `SessionStoreService.reauthenticate()`. Signed out: 401, as `UserSessionsGuard`. Signed in
 * but too long ago: 403 `ReauthenticationRequiredException` (`reauthenticate: true` in the
 * body; in GraphQL `FORBIDDEN`; in a gateway an `exception` message with `code: 'FORBIDDEN'`). A route without a limit passes. Costs nothing beyond the request's one primary-key
 * SELECT, shared with the handler: the time is kept in the session's data.
 */
@Injectable()
export class UserSessionsReauthGuard implements CanActivate {
  constructor(
    protected readonly requestSessions: RequestSessionService,
    protected readonly reflector: Reflector,
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
  ) {}

  /**
   * A property, so that subclasses' constructors need not pass it on; absent from a guard made
   * with `new` (an app's unit test), which then serves HTTP alone.
   */
  @Inject(LiveSessionsService) protected readonly liveSessions?: LiveSessionsService;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const maxAge = this.maxAge(context);
    if (maxAge === undefined) return true;
    const session = await (this.liveSessions?.messageSession(context) ?? this.requestSessions.getSession(requestOf(context)));
    if (!session.isAuthenticated) throw await unauthenticated(context);
    if (!this.isRecent(session, maxAge)) throw await reauthenticationRequired(context);
    return true;
  }

  /** Whether the password was entered within `maxAge` milliseconds. Override to add conditions. */
  protected isRecent(session: UserSession, maxAge: number): boolean {
    return isRecentLogin(session, maxAge);
  }

  private maxAge(context: ExecutionContext): number | undefined {
    const requirement = this.reflector.getAllAndOverride<RecentLoginRequirement | undefined>(RECENT_LOGIN_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    return typeof requirement === 'object' ? this.options.requireRecentLogin?.[requirement.option] : requirement;
  }
}

/** Whether the session's user entered their password within `maxAge` milliseconds. */
export function isRecentLogin(session: UserSession, maxAge: number): boolean {
  const at = session.authenticatedAt;
  return at !== null && Date.now() - at.getTime() <= maxAge;
}
