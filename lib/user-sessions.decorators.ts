import { applyDecorators, createParamDecorator, SetMetadata, UseGuards, type ExecutionContext } from '@nestjs/common';
import { RECENT_LOGIN_METADATA } from './user-sessions.constants.js';
import { findHandle, type RequestSessionHandle } from './http/request-session-handle.js';
import { liveSocketOf, requestOf } from './http/context-request.js';
import { UserSessionsReauthGuard, type RecentLoginRequirement } from './user-sessions-reauth.guard.js';
import type { RequireRecentLoginOptions } from './options/user-sessions-module-options.interface.js';

function requestHandle(_data: unknown, context: ExecutionContext): RequestSessionHandle {
  const handle = findHandle(requestOf(context));
  if (!handle) {
    throw new Error(
      liveSocketOf(context)
        ? "@CurrentSession() found no session on this socket: put UserSessionsGuard or UserSessionsInterceptor on the handler, or call liveSessions.connect() in the gateway's handleConnection()."
        : '@CurrentSession() found no session handle: import UserSessionsModule.forRoot() in the application module.',
    );
  }
  return handle;
}

/**
 * The request's `UserSession`: loaded from the cookie on first use (one primary-key SELECT,
 * shared with the guard), or a new empty session that is stored only if modified.
 *
 * @example async profile(@CurrentSession() session: UserSession) { session.get('theme') }
 */
export const CurrentSession = createParamDecorator((data: unknown, context: ExecutionContext) => {
  const handle = requestHandle(data, context);
  // Loaded already (by the guard, say): no promise. Otherwise Nest settles the promise.
  return handle.session ?? handle.load();
});

/** The signed-in user's id, or null. */
export const CurrentUserId = createParamDecorator((data: unknown, context: ExecutionContext) => {
  const handle = requestHandle(data, context);
  return handle.session ? handle.session.userId : handle.load().then((session) => session.userId);
});

/**
 * "Sudo mode" for a route, resolver, gateway message or their class: the user must have entered
 * their password within `maxAge` milliseconds, at `login()` or at
 * `SessionStoreService.reauthenticate()`; or within the time of the module's
 * `requireRecentLogin` option named (`'endOtherSessions'`, for an app's own "end all other
 * sessions" in GraphQL, say), which lets everything through while the option is unset. Otherwise
 * the route answers 403 `{ …, message: 'Re-authentication required', reauthenticate: true }`
 * (401 when signed out), and the front end asks for the password, re-authenticates and retries.
 *
 * @example
 * @Delete('account')
 * @RequireRecentLogin(5 * 60_000)
 * deleteAccount(@CurrentUserId() userId: number) { … }
 */
export function RequireRecentLogin(maxAge: number | keyof RequireRecentLoginOptions): MethodDecorator & ClassDecorator {
  let requirement: RecentLoginRequirement;
  if (maxAge === 'endOtherSessions' || maxAge === 'endSession') requirement = { option: maxAge };
  else if (Number.isSafeInteger(maxAge) && (maxAge as number) >= 1000) requirement = maxAge;
  else {
    throw new RangeError(
      `@RequireRecentLogin() takes a whole number of milliseconds, at least 1000, or 'endOtherSessions' or 'endSession'; got ${String(maxAge)}`,
    );
  }
  return applyDecorators(SetMetadata(RECENT_LOGIN_METADATA, requirement), UseGuards(UserSessionsReauthGuard));
}
