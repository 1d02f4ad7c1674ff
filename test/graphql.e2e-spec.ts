import request from 'supertest';
import { Module, UseGuards } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Mutation, Query, Resolver } from '@nestjs/graphql';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { CurrentSession, CurrentUserId, RequireRecentLogin, Session, UserSession, UserSessionsGuard } from '../lib/index.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';

@Resolver()
class AccountResolver {
  @Query(() => String)
  @UseGuards(UserSessionsGuard)
  me(@CurrentUserId() userId: string): string {
    return userId;
  }

  /** Public: the user id or null, without a guard. */
  @Query(() => String, { nullable: true })
  whoMightIBe(@CurrentUserId() userId: string | null): string | null {
    return userId;
  }

  @Mutation(() => String)
  @UseGuards(UserSessionsGuard)
  setTheme(@CurrentSession() session: UserSession): string {
    session.set('theme', 'dark');
    return 'dark';
  }

  @Mutation(() => Boolean)
  @RequireRecentLogin(60_000)
  deleteAccount(): boolean {
    return true;
  }
}

@Module({
  imports: [GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true })],
  providers: [AccountResolver],
})
class AccountGraphqlModule {}

describeEachDatabaseAndPlatform('GraphQL over HTTP: the guard and the decorators in resolvers', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startTestApp(database, {}, { platform }, undefined, [AccountGraphqlModule]);
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await t.app.get(DataSource).getRepository(Session).clear();
  });

  async function signIn(userId: string): Promise<string> {
    const response = await request(t.url).post('/login').send({ userId }).expect(201);
    return `sessionid=${sessionCookie(response.headers['set-cookie'])}`;
  }

  function graphql(query: string, cookie?: string, origin?: string) {
    const call = request(t.url).post('/graphql').set('Content-Type', 'application/json');
    if (cookie) call.set('Cookie', cookie);
    if (origin) call.set('Origin', origin);
    return call.send({ query });
  }

  it('a signed-in query gets its user from the session, in one primary-key read', async () => {
    const cookie = await signIn('ada');
    t.queries.reset();
    const response = await graphql('{ me }', cookie).expect(200);
    expect(response.body).toEqual({ data: { me: 'ada' } });
    const statements = t.queries.sessionStatements();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^SELECT .* WHERE .*key_digest/);
  });

  it("an anonymous query is refused in GraphQL's own shape: UNAUTHENTICATED", async () => {
    const response = await graphql('{ me }').expect(200);
    expect(response.body.data).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(response.body.errors[0].message).toBe('Sign in to continue.');
  });

  it('a public resolver reads the user id, or null, without a guard', async () => {
    expect((await graphql('{ whoMightIBe }').expect(200)).body).toEqual({ data: { whoMightIBe: null } });
    const cookie = await signIn('grace');
    expect((await graphql('{ whoMightIBe }', cookie).expect(200)).body).toEqual({ data: { whoMightIBe: 'grace' } });
  });

  it("a mutation's session change is saved, as on a REST route", async () => {
    const cookie = await signIn('ada');
    await graphql('mutation { setTheme }', cookie).expect(200, { data: { setTheme: 'dark' } });
    const [row] = await t.app.get(DataSource).getRepository(Session).find();
    expect(JSON.parse(row.data)).toMatchObject({ theme: 'dark' });
  });

  it('a mutation sent from a foreign Origin is refused before GraphQL runs it', async () => {
    const cookie = await signIn('ada');
    await graphql('mutation { setTheme }', cookie, 'https://evil.example').expect(403);
    const [row] = await t.app.get(DataSource).getRepository(Session).find();
    expect(JSON.parse(row.data)).not.toHaveProperty('theme');
  });

  it("a simple request a cross-site form could send is refused by Apollo's CSRF prevention, which stays on", async () => {
    const cookie = await signIn('ada');
    const response = await request(t.url).get('/graphql?query=%7Bme%7D').set('Cookie', cookie).expect(400);
    expect(response.text).toMatch(/Cross-Site Request Forgery/);
  });

  it('"sudo mode" on a mutation: FORBIDDEN once the sign-in is older than its limit, UNAUTHENTICATED when signed out', async () => {
    const cookie = await signIn('ada');
    expect((await graphql('mutation { deleteAccount }', cookie).expect(200)).body).toEqual({ data: { deleteAccount: true } });
    const sessions = t.app.get(DataSource).getRepository(Session);
    // The password was entered an hour ago: what the session records of the sign-in, moved back.
    const [row] = await sessions.find();
    const data = JSON.parse(row.data) as { __userSessions: { authenticatedAt: number } };
    data.__userSessions.authenticatedAt -= 3_600_000;
    await sessions.update({ keyDigest: row.keyDigest }, { data: JSON.stringify(data) });
    const stale = await graphql('mutation { deleteAccount }', cookie).expect(200);
    expect(stale.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const anonymous = await graphql('mutation { deleteAccount }').expect(200);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
