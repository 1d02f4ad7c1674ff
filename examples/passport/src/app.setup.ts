import type { INestApplication } from '@nestjs/common';
import passport from 'passport';

/** What main.ts adds to the app, as it did with express-session (whose line is gone). */
export function setUpApp(app: INestApplication): void {
  app.use(passport.initialize());
  app.use(passport.session());
}
