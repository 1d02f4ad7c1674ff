import type { DynamicModule, INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WsAdapter } from '@nestjs/platform-ws';
import { fastifyTrustProxy, type TrustProxy } from './trust-proxy.js';

/** The HTTP platforms the sample app runs on. */
export type Platform = 'express' | 'fastify';

/** The `PLATFORM` variable: `express` (the default when unset) or `fastify`. */
export function platformFromEnv(value: string | undefined): Platform {
  const platform = value?.trim().toLowerCase() || 'express';
  if (platform !== 'express' && platform !== 'fastify') {
    throw new Error(`PLATFORM must be "express" or "fastify", got ${JSON.stringify(value)}`);
  }
  return platform;
}

/** Express's body parser refuses JSON bodies over 100 KiB; the sample app on Fastify does too (its default is 1 MiB). */
const BODY_LIMIT = 100 * 1024;

/**
 * The sample app (`module`, from `AppModule.forRoot()`) on `platform`, not listening yet.
 * Behind a reverse proxy, `trustProxy` (from `TRUST_PROXY`) makes the session's IP the
 * client's and the cookie's `secure: 'auto'` see HTTPS: Express's `trust proxy` setting, or
 * Fastify's `trustProxy` option. `main.ts` starts it; the tests do so on both platforms.
 */
export async function createSampleApp(
  module: DynamicModule,
  platform: Platform,
  trustProxy?: TrustProxy,
  options: NestApplicationOptions = {},
): Promise<INestApplication> {
  if (platform === 'fastify') {
    // Loaded here only: the app on Express never loads Fastify.
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const app = await NestFactory.create(module, new FastifyAdapter({ bodyLimit: BODY_LIMIT, trustProxy: fastifyTrustProxy(trustProxy) }), options);
    // The sessions page's WebSocket: plain WebSockets (the ws package), no client library.
    return app.useWebSocketAdapter(new WsAdapter(app));
  }
  const app = await NestFactory.create<NestExpressApplication>(module, options);
  // Which framework answers is nobody's business.
  app.disable('x-powered-by');
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  return app.useWebSocketAdapter(new WsAdapter(app));
}
