/**
 * The apps the HTTP bench compares, one per child process (see `server.ts`). Each is a small Nest
 * app with TypeORM connected to the same kind of database and the library's `Session` entity
 * synchronized, so they differ only in their session layer (each file says what its variants are):
 *
 * - `bare`: `GET /hello` → `{ ok: true }`, no session layer;
 * - `floor` (`floor.ts`): one raw prepared primary-key SELECT, the least a database session costs;
 * - `module-*` (`module.ts`): this library;
 * - `express-session*` (`express-session.ts`): express-session + connect-typeorm;
 * - `fastify-session` (`fastify-session.ts`): @fastify/session on Fastify;
 * - `better-auth-*` (`better-auth.ts`): better-auth through its NestJS integration;
 * - `graphql-bare`, `graphql-floor`, `module-graphql` (`graphql.ts`): a GraphQL query without a
 *   session, with the floor's one raw read, and with the module's guard;
 * - `websocket-bare`, `module-websocket` (`websocket.ts`): WebSocket messages without and with it.
 *
 * Sessions are created by the child before it reports ready: one per autocannon connection.
 */
import { DataSource } from 'typeorm';
import { Session } from '../../lib/index.js';
import type { BenchDatabase, VariantName } from '../protocol.js';
import { startBetterAuth } from './better-auth.js';
import { BenchAppModule, createApp, HelloController, journalNote, typeOrm, type StartedVariant, type VariantOptions } from './common.js';
import { startExpressSession } from './express-session.js';
import { startFastifySession } from './fastify-session.js';
import { startFloor } from './floor.js';
import { startModule } from './module.js';
import { startGraphql } from './graphql.js';
import { startWebSocket } from './websocket.js';

export type { StartedVariant } from './common.js';

async function startBare(database: BenchDatabase): Promise<StartedVariant> {
  const app = await createApp({ module: BenchAppModule, imports: [typeOrm(database, [Session])], controllers: [HelloController] });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    dataSource: app.get(DataSource),
    ready: {
      route: { method: 'GET', path: '/hello' },
      cookies: [],
      expectBody: JSON.stringify({ ok: true }),
      bodyContains: '"ok":true',
      anonymousStatus: null,
      notes: `no session layer${journalNote(database)}`,
    },
  };
}

/** Builds, seeds and starts listening the app of `variant` on 127.0.0.1. */
export function startVariant(variant: VariantName, database: BenchDatabase, options: VariantOptions): Promise<StartedVariant> {
  if (variant === 'bare') return startBare(database);
  if (variant === 'floor') return startFloor(variant, database, options);
  if (variant === 'graphql-bare' || variant === 'graphql-floor' || variant === 'module-graphql') return startGraphql(variant, database, options);
  if (variant === 'websocket-bare' || variant === 'module-websocket') return startWebSocket(variant, database, options);
  if (variant.startsWith('module-')) return startModule(variant, database, options);
  if (variant.startsWith('express-session')) return startExpressSession(variant, database, options);
  if (variant === 'fastify-session') return startFastifySession(variant, database, options);
  return startBetterAuth(variant, database, options);
}
