import { ForbiddenException } from '@nestjs/common';

/**
 * The route needs a recent password entry ("sudo mode", `@RequireRecentLogin()`) and the
 * session's is older. Answered 403, not 401: the user is signed in and stays so, and a client
 * that treats 401 as "signed out" must not leave for the sign-in page. The body says so in a
 * field a front end can test, to ask for the password and retry:
 * `{ statusCode: 403, error: 'Forbidden', message: 'Re-authentication required', reauthenticate: true }`.
 */
export class ReauthenticationRequiredException extends ForbiddenException {
  constructor() {
    super({ statusCode: 403, error: 'Forbidden', message: 'Re-authentication required', reauthenticate: true });
  }
}
