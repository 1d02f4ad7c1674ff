import type { FastifyInstance } from 'fastify';
import { DEFAULT_PATH } from '../../lib/index.js';
import { prefersHtml } from './prefers-html.js';
import { PUBLIC_DIR, publicFileHeaders, sendPublicFile } from './public-files.js';

const SESSIONS_PAGE_ROUTE = `/${DEFAULT_PATH}`;

/**
 * The Fastify side of the pages (`PagesModule` calls it on Fastify only):
 * - @fastify/static for `reply.sendFile()`, serving no route of its own (`PagesController`
 *   lists what may be served);
 * - the "Active sessions" page, in a request hook that does what `SessionsPageMiddleware`
 *   does on Express: Nest middleware on Fastify gets the Node.js response, which has no
 *   `sendFile()`. The hook runs after Nest middleware (so after the library's origin check)
 *   and before the route's guard.
 */
export async function registerFastifyPages(fastify: FastifyInstance): Promise<void> {
  const { default: fastifyStatic } = await import('@fastify/static');
  // Not awaited: Fastify loads it when it starts, with the app's other plugins.
  void fastify.register(fastifyStatic, {
    root: PUBLIC_DIR,
    serve: false,
    setHeaders: (reply, path) => {
      reply.headers(publicFileHeaders(path));
    },
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.routeOptions.url !== SESSIONS_PAGE_ROUTE) return;
    reply.header('Vary', 'Accept');
    if (prefersHtml(request.headers.accept)) {
      sendPublicFile(reply, 'sessions.html');
      return reply;
    }
  });
}
