import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { USER_SESSIONS_MODULE_OPTIONS, UserSessionsModule, type ResolvedUserSessionsOptions } from '../lib/index.js';
import { AuthModule } from './auth/auth.module.js';

/**
 * Serves the app's OpenAPI document: Swagger UI at /docs, the JSON at /docs-json. The
 * sessions APIs describe themselves; the document only has to say what their cookie is.
 */
export function setupOpenApi(app: INestApplication): void {
  const { cookieName } = app.get<ResolvedUserSessionsOptions>(USER_SESSIONS_MODULE_OPTIONS);
  const config = new DocumentBuilder()
    .setTitle('nestjs-user-sessions sample app')
    // The security scheme is named after the cookie: the operations ask for it by that name.
    .addCookieAuth(cookieName, { type: 'apiKey' }, cookieName)
    .build();
  // The JSON APIs only, not the pages.
  const include = [UserSessionsModule, AuthModule];
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config, { include }));
}
