import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { REQUEST_SESSION } from './user-sessions.constants.js';
import { sessionCarrier, type RequestSessionHandle } from './request-session.js';

function requestHandle(_data: unknown, context: ExecutionContext): RequestSessionHandle {
  const request = context.switchToHttp().getRequest<object>();
  const handle = (sessionCarrier(request) as { [REQUEST_SESSION]?: RequestSessionHandle })[REQUEST_SESSION];
  if (!handle) {
    throw new Error(
      '@CurrentSession() found no session handle: import UserSessionsModule.forRoot() in the application module.',
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
