import { createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { REQUEST_SESSION } from './user-sessions.constants.js';
import type { RequestSessionHandle } from './request-session.js';
import type { UserSession } from './user-session.js';

function requestHandle(_data: unknown, context: ExecutionContext): RequestSessionHandle {
  const request = context.switchToHttp().getRequest<{ [REQUEST_SESSION]?: RequestSessionHandle }>();
  const handle = request[REQUEST_SESSION];
  if (!handle) {
    throw new Error(
      '@CurrentSession() found no session handle: import UserSessionsModule.forRoot() in the application module.',
    );
  }
  return handle;
}

// Param decorators cannot be async, pipes can: the pipe loads the session (memoised per request).
const loadSession: PipeTransform<RequestSessionHandle, Promise<UserSession>> = {
  transform: (handle) => handle.load(),
};
const loadUserId: PipeTransform<RequestSessionHandle, Promise<UserSession['userId']>> = {
  transform: async (handle) => (await handle.load()).userId,
};

/**
 * The request's `UserSession`: loaded from the cookie on first use (one primary-key SELECT,
 * shared with the guard), or a new empty session that is stored only if modified.
 *
 * @example async profile(@CurrentSession() session: UserSession) { session.get('theme') }
 */
export const CurrentSession = (): ParameterDecorator => createParamDecorator(requestHandle)(undefined, loadSession);

/** The signed-in user's id, or null. */
export const CurrentUserId = (): ParameterDecorator => createParamDecorator(requestHandle)(undefined, loadUserId);
