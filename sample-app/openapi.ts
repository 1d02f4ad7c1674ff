import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { USER_SESSIONS_MODULE_OPTIONS, UserSessionsModule, type ResolvedUserSessionsOptions } from '../lib/index.js';
import { AuthModule } from './auth/auth.module.js';

/** Swagger UI's page: its own files, the inline styles and data: images its bundle sets, nothing from elsewhere. */
const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

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
  // Swagger UI runs its own scripts and styles from /docs: only those, never framed.
  app.use('/docs', (_request: unknown, response: { setHeader(name: string, value: string): void }, next: () => void) => {
    response.setHeader('Content-Security-Policy', DOCS_CSP);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  // The JSON APIs only, not the pages.
  const include = [UserSessionsModule, AuthModule];
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config, { include }));
}
