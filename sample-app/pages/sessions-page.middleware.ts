import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { prefersHtml } from './prefers-html.js';
import { sendPublicFile } from './public-files.js';

/**
 * `GET /account/sessions` is both the "Active sessions" page and the library's JSON list,
 * told apart by content negotiation on `Accept` (see `prefersHtml`):
 *
 * - `text/html` ranked above `application/json` (a browser's navigation lists `text/html`
 *   first and everything else only through the wildcard at q=0.8): the HTML page, whose
 *   script then asks for the JSON with `Accept: application/json`;
 * - anything else (`application/json`, curl's wildcard, no `Accept` at all): `next()`, so
 *   the library's controller answers with JSON, or 401 when signed out.
 *
 * Both answers carry `Vary: Accept`, so a cache never serves one in place of the other.
 * This is the Express way; on Fastify a request hook does the same (`registerFastifyPages`),
 * since Nest middleware there runs on the Node.js response, which cannot send files.
 */
@Injectable()
export class SessionsPageMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    res.vary('Accept');
    if (prefersHtml(req.headers.accept)) {
      sendPublicFile(res, 'sessions.html');
      return;
    }
    next();
  }
}
