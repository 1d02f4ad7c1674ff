import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { databaseOptionsFromEnv } from './database.js';
import { setupOpenApi } from './openapi.js';
import { trustProxyFromEnv } from './trust-proxy.js';

const app = await NestFactory.create<NestExpressApplication>(
  AppModule.forRoot(databaseOptionsFromEnv(process.env), { geoipPath: process.env.GEOIP_PATH || undefined }),
);

// Behind a reverse proxy, this makes the session's IP the client's and the cookie's
// `secure: 'auto'` see HTTPS.
const trustProxy = trustProxyFromEnv(process.env.TRUST_PROXY);
if (trustProxy !== undefined) app.set('trust proxy', trustProxy);

app.enableShutdownHooks();
// The API's OpenAPI document, with Swagger UI at /docs.
setupOpenApi(app);
await app.listen(Number(process.env.PORT || 3000));
new Logger('SampleApp').log(`Listening on ${await app.getUrl()}`);
