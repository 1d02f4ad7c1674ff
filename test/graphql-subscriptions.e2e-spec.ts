import request from 'supertest';
import { Module, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { CurrentUserId, Session, UNAUTHENTICATED_CLOSE_CODE, UserSessionsGuard, UserSessionsInterceptor } from '../lib/index.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/redis.js';

@Resolver()
class TickResolver {
  @Query(() => String)
  ping(): string {
    return 'pong';
  }

  /** Open to everyone, with the interceptor alone: the user's id, or "anonymous". */
  @Subscription(() => String, { resolve: (userId: string) => userId })
  @UseInterceptors(UserSessionsInterceptor)
  async *publicTicks(@CurrentUserId() userId: string | null): AsyncIterableIterator<string> {
    for (;;) {
      yield userId ?? 'anonymous';
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The signed-in user's id, every 50 ms, for as long as the subscription lasts. */
  @Subscription(() => String, { resolve: (userId: string) => userId })
  @UseGuards(UserSessionsGuard)
  async *ticks(@CurrentUserId() userId: string): AsyncIterableIterator<string> {
    for (;;) {
      yield userId;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

@Module({
  imports: [GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, subscriptions: { 'graphql-ws': true } })],
  providers: [TickResolver],
})
class TickGraphqlModule {}

/** A graphql-ws client that sends `cookie` with its handshake, as a browser would. */
function subscriber(url: string, cookie?: string): { client: Client; closed: Promise<number> } {
  let closedWith: (code: number) => void;
  const closed = new Promise<number>((resolve) => (closedWith = resolve));
  class CookieWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: cookie ? { Cookie: cookie } : {} });
    }
  }
  const client = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: CookieWebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { closed: (event) => closedWith((event as { code: number }).code) },
  });
  return { client, closed };
}

describeEachDatabaseAndPlatform('GraphQL subscriptions over graphql-ws: the session of the handshake', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;
  const clients: Client[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startTestApp(database, {}, { platform }, undefined, [TickGraphqlModule]);
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) await client.dispose();
    await t?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await t.app.get(DataSource).getRepository(Session).clear();
  });

  async function signIn(userId: string): Promise<{ cookie: string; id: string }> {
    const response = await request(t.url).post('/login').send({ userId }).expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    return { cookie: `sessionid=${key}`, id: digestSessionKey(key) };
  }

  /** Subscribes to ticks; collects what arrives, and how it ended. */
  function subscribe(cookie?: string, query = 'subscription { ticks }') {
    const { client, closed } = subscriber(t.url, cookie);
    clients.push(client);
    const values: string[] = [];
    const errors: unknown[] = [];
    let completed = false;
    client.subscribe<Record<string, string>>(
      { query },
      {
        next: (result) => {
          if (result.data) values.push(...Object.values(result.data));
          if (result.errors) errors.push(...result.errors);
        },
        error: (error) => errors.push(error),
        complete: () => (completed = true),
      },
    );
    return { values, errors, closed, isCompleted: () => completed };
  }

  it("a signed-in subscription gets its user from the handshake's session, in one primary-key read", async () => {
    const { cookie } = await signIn('ada');
    t.queries.reset();
    const ticks = subscribe(cookie);
    await until(() => ticks.values.length >= 5, 5_000, 'five ticks');
    expect(ticks.values.slice(0, 5)).toEqual(['ada', 'ada', 'ada', 'ada', 'ada']);
    expect(ticks.errors).toEqual([]);
    expect(t.queries.sessionStatements()).toHaveLength(1);
    expect(t.queries.sessionStatements()[0]).toMatch(/^SELECT/);
  });

  it('an anonymous subscription is refused with UNAUTHENTICATED', async () => {
    const ticks = subscribe();
    await until(() => ticks.errors.length > 0, 5_000, 'the refusal');
    expect(ticks.values).toEqual([]);
    expect(ticks.errors).toEqual([
      expect.objectContaining({ message: 'Sign in to continue.', path: ['ticks'], extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
  });

  it('ending the session closes the subscription socket within a second (code 4401)', async () => {
    const phone = await signIn('ada');
    const laptop = await signIn('ada');
    const ticks = subscribe(phone.cookie);
    await until(() => ticks.values.length >= 1, 5_000, 'a tick');
    const started = Date.now();
    await request(t.url).delete(`/account/sessions/${phone.id}`).set('Cookie', laptop.cookie).set('Origin', t.url).expect(204);
    expect(await ticks.closed).toBe(UNAUTHENTICATED_CLOSE_CODE);
    expect(Date.now() - started).toBeLessThan(1000);
    const count = ticks.values.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ticks.values).toHaveLength(count);
  });

  it('a public subscription with the interceptor alone: anonymous ticks for everyone, the user for a session, closed when it ends', async () => {
    const anonymous = subscribe(undefined, 'subscription { publicTicks }');
    await until(() => anonymous.values.length >= 2, 5_000, 'two anonymous ticks');
    expect(anonymous.values.slice(0, 2)).toEqual(['anonymous', 'anonymous']);
    const phone = await signIn('ada');
    const ticks = subscribe(phone.cookie, 'subscription { publicTicks }');
    await until(() => ticks.values.length >= 2, 5_000, 'two ticks');
    expect(ticks.values.slice(0, 2)).toEqual(['ada', 'ada']);
    await t.store.deleteAllForUser('ada');
    expect(await ticks.closed).toBe(UNAUTHENTICATED_CLOSE_CODE);
    expect(anonymous.errors).toEqual([]);
  });
});
