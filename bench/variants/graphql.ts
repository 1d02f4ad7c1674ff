/**
 * GraphQL (Apollo, code first) on the module, the same query with and without the guard:
 *
 * - `module-graphql`: `{ me }` behind `UserSessionsGuard`, answered with `@CurrentUserId()`: one
 *   primary-key SELECT per request, as on REST;
 * - `graphql-bare`: the same app and resolver without the guard, answering a constant: the
 *   module's middleware runs, but no session is loaded;
 * - `graphql-floor`: no module; the floor's middleware (`floor.ts`: one raw prepared primary-key
 *   SELECT) on `/graphql`, and the resolver answers the row's user id: the least a session read
 *   costs a GraphQL query.
 */
import { Module, UseGuards, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Context, GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { CurrentUserId, Session, UserSessionsGuard, UserSessionsEntities, UserSessionsModule } from '../../lib/index.js';
import type { BenchDatabase, VariantName } from '../protocol.js';
import { BenchAppModule, createApp, journalNote, typeOrm, userIdFor, type StartedVariant, type VariantOptions } from './common.js';
import { refreshActivity, signIn } from './module.js';
import { FloorSessionMiddleware, type FloorRequest } from './floor.js';
import { insertSessionRows } from './session-rows.js';

@Resolver()
class GuardedResolver {
  @Query(() => String)
  @UseGuards(UserSessionsGuard)
  me(@CurrentUserId() userId: string): string {
    return userId;
  }
}

@Resolver()
class OpenResolver {
  @Query(() => String)
  me(): string {
    return 'graphql-bare';
  }
}

@Resolver()
class FloorResolver {
  @Query(() => String)
  me(@Context('req') request: FloorRequest): string {
    return String(request.floorSession!.userId);
  }
}

const GRAPHQL = GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true });

function graphqlModule(guarded: boolean) {
  @Module({ imports: [GRAPHQL], providers: [guarded ? GuardedResolver : OpenResolver] })
  class BenchGraphqlModule {}
  return BenchGraphqlModule;
}

@Module({ imports: [GRAPHQL], providers: [FloorResolver, FloorSessionMiddleware] })
class FloorGraphqlModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FloorSessionMiddleware).forRoutes('graphql');
  }
}

async function startGraphqlFloor(variant: VariantName, database: BenchDatabase, sessions: number): Promise<StartedVariant> {
  const app = await createApp({ module: BenchAppModule, imports: [typeOrm(database, [Session]), FloorGraphqlModule] });
  const dataSource = app.get(DataSource);
  const { keys } = await insertSessionRows(dataSource, sessions, (index) => userIdFor(variant, index));
  await app.listen(0, '127.0.0.1');
  return {
    app,
    dataSource,
    ready: {
      route: { method: 'POST', path: '/graphql', body: JSON.stringify({ query: '{ me }' }) },
      cookies: keys.map((key) => `sessionid=${key}`),
      expectBody: `${JSON.stringify({ data: { me: userIdFor(variant, 0) } })}\n`,
      bodyContains: `"me":"${variant}-user-`,
      anonymousStatus: 401,
      notes: `Apollo (code first), query { me }, the floor's middleware (one raw prepared primary-key SELECT), no module${journalNote(database)}`,
    },
  };
}

export async function startGraphql(variant: VariantName, database: BenchDatabase, { sessions }: VariantOptions): Promise<StartedVariant> {
  if (variant === 'graphql-floor') return startGraphqlFloor(variant, database, sessions);
  const guarded = variant === 'module-graphql';
  const app = await createApp({
    module: BenchAppModule,
    imports: [typeOrm(database, [...UserSessionsEntities]), UserSessionsModule.forRoot({}), graphqlModule(guarded)],
  });
  const userIds = Array.from({ length: sessions }, (_, index) => userIdFor(variant, index));
  const cookies = await signIn(app, sessions, (index) => userIds[index]);
  await app.listen(0, '127.0.0.1');
  return {
    app,
    dataSource: app.get(DataSource),
    beforeMeasure: () => refreshActivity(app.get(DataSource), userIds),
    ready: {
      route: { method: 'POST', path: '/graphql', body: JSON.stringify({ query: '{ me }' }) },
      cookies,
      expectBody: `${JSON.stringify({ data: { me: guarded ? userIds[0] : 'graphql-bare' } })}\n`,
      bodyContains: guarded ? `"me":"${variant}-user-` : '"me":"graphql-bare"',
      // GraphQL answers 200 either way; a refusal is in the body's errors.
      anonymousStatus: null,
      notes: `Apollo (code first), query { me }, ${guarded ? 'UserSessionsGuard and @CurrentUserId()' : 'no guard, a constant'}; UserSessionsModule.forRoot() in both${journalNote(database)}`,
    },
  };
}
