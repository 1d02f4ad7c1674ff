import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { sendPage } from './public-files.js';

/**
 * `GET /account/sessions` is both the "Active sessions" page and the library's JSON list,
 * told apart by content negotiation on `Accept`:
 *
 * - `text/html` ranked above `application/json` (a browser's navigation lists `text/html`
 *   first and everything else only through the wildcard at q=0.8): the HTML page, whose
 *   script then asks for the JSON with `Accept: application/json`;
 * - anything else (`application/json`, curl's wildcard, no `Accept` at all): `next()`, so
 *   the library's controller answers with JSON, or 401 when signed out.
 *
 * Ranking is Express's `req.accepts()`: by q-value, then by the order of the `Accept` list;
 * when both match only the same wildcard, JSON (listed first here) wins.
 * Both answers carry `Vary: Accept`, so a cache never serves one in place of the other.
 */
@Injectable()
export class SessionsPageMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    res.vary('Accept');
    if (prefersHtml(req)) {
      sendPage(res, 'sessions.html');
      return;
    }
    next();
  }
}

/** Whether the request ranks `text/html` above `application/json`. */
export function prefersHtml(req: Pick<Request, 'accepts'>): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}
