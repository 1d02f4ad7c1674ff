import { Logger } from '@nestjs/common';
import { AppModule } from './app.module.js';
import { databaseOptionsFromEnv } from './database.js';
import { setupOpenApi } from './openapi.js';
import { createSampleApp, platformFromEnv } from './platform.js';
import { trustProxyFromEnv } from './trust-proxy.js';

const platform = platformFromEnv(process.env.PLATFORM);
const app = await createSampleApp(
  AppModule.forRoot(databaseOptionsFromEnv(process.env), { geoipPath: process.env.GEOIP_PATH || undefined }),
  platform,
  trustProxyFromEnv(process.env.TRUST_PROXY),
);

app.enableShutdownHooks();
// The API's OpenAPI document, with Swagger UI at /docs.
setupOpenApi(app);
const port = Number(process.env.PORT || 3000);
// Every interface, on Fastify too (it listens on localhost alone unless told).
await (platform === 'fastify' ? app.listen(port, '0.0.0.0') : app.listen(port));
new Logger('SampleApp').log(`Listening on ${await app.getUrl()} (${platform === 'fastify' ? 'Fastify' : 'Express'})`);
