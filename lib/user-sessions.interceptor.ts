import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { concatMap, type Observable } from 'rxjs';
import { SessionStoreService } from './session-store.service.js';

/**
 * Registered for the whole app. On the way in it puts the lazy session handle on the request
 * (cookie, IP and user agent read; no query). On the way out it commits the session: no
 * write unless something changed (see `SessionStoreService.commit()` for the exact cost).
 */
@Injectable()
export class UserSessionsInterceptor implements NestInterceptor {
  constructor(private readonly store: SessionStoreService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<object>();
    const response = http.getResponse<unknown>();
    this.store.forRequest(request);
    return next.handle().pipe(
      concatMap(async (value) => {
        await this.store.commit(request, response);
        return value;
      }),
    );
  }
}
