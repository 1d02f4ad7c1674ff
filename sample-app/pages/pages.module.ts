import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { DEFAULT_PATH } from '../../lib/index.js';
import { PagesController } from './pages.controller.js';
import { SessionsPageMiddleware } from './sessions-page.middleware.js';

/**
 * The browser side of the demo: a sign-in page and an "Active sessions" page, plain HTML,
 * CSS and a small script each (`sample-app/public/`), over the JSON API.
 */
@Module({ controllers: [PagesController] })
export class PagesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Only the page's GET; DELETE on the same path stays the API's alone.
    consumer.apply(SessionsPageMiddleware).forRoutes({ path: DEFAULT_PATH, method: RequestMethod.GET });
  }
}
