import {
  HttpException,
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, concatMap, from, throwError, type Observable } from 'rxjs';
import { SessionStoreService } from './session-store.service.js';
import { USER_SESSIONS_MODULE_OPTIONS } from './user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from './user-sessions-module-options.interface.js';
import { appendHeader } from './cookies.js';

/**
 * Registered for the whole app. On the way in it puts the lazy session handle on the request
 * (cookie, IP and user agent read; no query). On the way out it commits the session: no
 * write unless something changed (see `SessionStoreService.commit()` for the exact cost).
 */
@Injectable()
export class UserSessionsInterceptor implements NestInterceptor {
  constructor(
    private readonly store: SessionStoreService,
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<object>();
    const response = http.getResponse<unknown>();
    const handle = this.store.forRequest(request);
    if (this.options.requestClientHints && handle.clientHints !== null && handle.clientHints.platformVersion === null) {
      // Browsers that speak Client Hints send Sec-CH-UA-Platform unasked, but the version
      // (Windows 11 or 10) only when asked; others are not asked at all.
      appendHeader(response, 'Accept-CH', 'Sec-CH-UA-Platform-Version');
    }
    return next.handle().pipe(
      concatMap(async (value) => {
        await this.store.commit(request, response);
        return value;
      }),
      // A 4xx is an answer, not a crash: what the handler did to the session (a login that
      // already cycled the key, say) still reaches the browser. After a 5xx nothing is saved.
      catchError((error: unknown) =>
        error instanceof HttpException && error.getStatus() < 500
          ? from(this.store.commit(request, response)).pipe(concatMap(() => throwError(() => error)))
          : throwError(() => error),
      ),
    );
  }
}
