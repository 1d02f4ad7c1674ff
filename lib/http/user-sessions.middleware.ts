import { Inject, Injectable, Logger, Optional, type NestMiddleware } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { RequestSessionService } from './request-session.service.js';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { appendHeader } from './cookies.js';
import { commitBeforeSending } from './session-commit.js';
import { isCrossOriginRefused, type OriginRequest } from './same-origin.js';
import { answerWithError } from './error-response.js';

type End = ServerResponse['end'];

/**
 * Runs for every request of the app. On the way in it refuses a state-changing request from a
 * foreign origin (see `same-origin.ts`) and puts the lazy session handle on the request
 * (cookie, IP, user agent and hints read; no query). On the way out, when the response
 * ends, it commits the session before the response leaves: nothing to write (the common case)
 * lets it go at once, synchronously; otherwise the one write (see `RequestSessionService.commit`)
 * runs first, so the cookie and the row always agree. After a 5xx nothing is saved. On
 * Fastify, whose middleware gets the Node.js request and response (through @fastify/middie),
 * the commit comes earlier, in an `onSend` hook (`user-sessions-fastify.hook.ts`): Fastify
 * writes the headers before it ends the response.
 *
 * Why a middleware, not an interceptor: an interceptor puts every request of the app through
 * Nest's RxJS pipeline, while wrapping `end` (as express-session does) costs nothing when there
 * is nothing to write (figures in bench/README.md).
 */
@Injectable()
export class UserSessionsMiddleware implements NestMiddleware {
  private readonly logger = new Logger('UserSessions');

  /** Whether the commit waits for `end` here: not on Fastify, where the hook commits. */
  private commitsOnEnd: boolean | undefined;

  constructor(
    private readonly requests: RequestSessionService,
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  use(request: object, response: ServerResponse, next: () => void): void {
    if (isCrossOriginRefused(request as OriginRequest, this.options)) {
      answerWithError(response, response.end, 403, { statusCode: 403, message: 'Cross-origin request refused.', error: 'Forbidden' });
      return;
    }
    const handle = this.requests.forRequest(request);
    if (this.options.requestClientHints && handle.hints !== null && handle.hints.platformVersion === null) {
      // Browsers that speak Client Hints send Sec-CH-UA-Platform unasked, but the version
      // (Windows 11 or 10) only when asked; others are not asked at all.
      appendHeader(response, 'Accept-CH', 'Sec-CH-UA-Platform-Version');
    }

    this.commitsOnEnd ??= this.adapterHost?.httpAdapter?.getType() !== 'fastify';
    if (!this.commitsOnEnd) {
      next();
      return;
    }
    const end = response.end;
    const { requests, logger } = this;
    response.end = function endAfterCommit(this: ServerResponse, ...args: unknown[]) {
      response.end = end;
      // Nothing to write (the common case): no callbacks to make, the response goes at once.
      if (requests.commitWithoutWriting(request, response, response.statusCode)) {
        return end.apply(response, args as Parameters<End>);
      }
      commitBeforeSending(requests, logger, request, response, response.statusCode, {
        send: () => end.apply(response, args as Parameters<End>),
        refuse: (status, error) => {
          if (response.headersSent) response.destroy();
          else answerWithError(response, end, status, error);
        },
      });
      return response;
    } as End;
    next();
  }
}
