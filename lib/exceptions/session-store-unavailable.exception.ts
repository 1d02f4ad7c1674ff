import { ServiceUnavailableException } from '@nestjs/common';

/**
 * The session table could not be read or written (database down, connection lost).
 * Answered as 503 so that clients retry, instead of a 500 or a hanging request.
 */
export class SessionStoreUnavailableException extends ServiceUnavailableException {
  constructor(cause?: unknown) {
    super('The session store is unavailable; please retry shortly.', { cause });
  }
}
