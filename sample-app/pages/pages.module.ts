import { Module, RequestMethod, type MiddlewareConsumer, type NestModule, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_PATH } from '../../lib/index.js';
import { PagesController } from './pages.controller.js';
import { SessionsPageMiddleware } from './sessions-page.middleware.js';

/**
 * The browser side of the demo: a sign-in page and an "Active sessions" page, plain HTML,
 * CSS and a small script each (`sample-app/public/`), over the JSON API. On Express or
 * Fastify: each serves files its own way (see `registerFastifyPages`).
 */
@Module({ controllers: [PagesController] })
export class PagesModule implements NestModule, OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  configure(consumer: MiddlewareConsumer): void {
    if (this.onFastify()) return;
    // Only the page's GET; DELETE on the same path stays the API's alone.
    consumer.apply(SessionsPageMiddleware).forRoutes({ path: DEFAULT_PATH, method: RequestMethod.GET });
  }

  async onModuleInit(): Promise<void> {
    if (!this.onFastify()) return;
    // Only an app on Fastify loads it (and @fastify/static).
    const { registerFastifyPages } = await import('./fastify-pages.js');
    await registerFastifyPages(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }

  private onFastify(): boolean {
    return this.adapterHost.httpAdapter?.getType() === 'fastify';
  }
}
