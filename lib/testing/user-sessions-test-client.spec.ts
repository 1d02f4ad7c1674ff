import { Controller, Get, HttpCode, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentSession, CurrentUserId, SessionStoreService, UserSession, UserSessionsGuard, UserSessionsModule } from '../index.js';
import { UserSessionsTestClient } from './index.js';

// An app with its own idea of signing in (a magic link, say): the test client does not
// need it to test the guarded routes.
@Controller('notes')
@UseGuards(UserSessionsGuard)
class NotesController {
  constructor(private readonly store: SessionStoreService) {}

  @Get()
  list(@CurrentUserId() userId: string, @CurrentSession() session: UserSession) {
    return { owner: userId, draft: session.get('draft') ?? null };
  }

  @Post('reauthenticate')
  @HttpCode(200)
  async reauthenticate(@CurrentSession() session: UserSession) {
    await this.store.login(session, session.userId!);
    return {};
  }

  @Post('sign-out')
  @HttpCode(204)
  async signOut(@CurrentSession() session: UserSession) {
    await this.store.logout(session);
  }
}

describe.each(['express', 'fastify'] as const)('UserSessionsTestClient on %s', (platform) => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', autoLoadEntities: true, synchronize: true }),
        UserSessionsModule.forRoot({ cookieName: 'notes_session' }),
      ],
      controllers: [NotesController],
    }).compile();
    if (platform === 'fastify') {
      app = moduleRef.createNestApplication(new FastifyAdapter({ trustProxy: 'loopback' }), { logger: false });
      await app.init();
      // Fastify answers no request before it is ready (Nest's testing docs do the same).
      await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    } else {
      app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
      (app as NestExpressApplication).set('trust proxy', 'loopback');
      await app.init();
    }
  });
  afterAll(async () => app?.close());

  it('signs a user in without the app’s login route and carries the cookie', async () => {
    const client = new UserSessionsTestClient(app);
    await client.get('/notes').expect(401);
    await client.login('user-7', { userAgent: 'Firefox Test', data: { draft: 'hello' } });
    expect(client.cookie).toMatch(/^notes_session=[A-Za-z0-9_-]{43}$/);
    await client.get('/notes').expect(200, { owner: 'user-7', draft: 'hello' });
    const session = await client.session();
    expect(session).toMatchObject({ userId: 'user-7', userAgent: 'Firefox Test' });
  });

  it('follows a new key the app sets, and a cookie the app clears', async () => {
    const client = new UserSessionsTestClient(app);
    await client.login('user-8');
    const before = client.cookie;
    await client.post('/notes/reauthenticate').expect(200);
    expect(client.cookie).not.toBe(before);
    await client.get('/notes').expect(200);
    await client.post('/notes/sign-out').expect(204);
    expect(client.cookie).toBeUndefined();
    await client.get('/notes').expect(401);
  });

  it('keeps the IP it signed in with where the app trusts the loopback proxy', async () => {
    const client = new UserSessionsTestClient(app);
    await client.login('user-10', { ip: '81.2.69.142' });
    await client.get('/notes').expect(200);
    expect((await client.session())!.ip).toBe('81.2.69.142');
  });

  it('logout() ends the session on the server', async () => {
    const client = new UserSessionsTestClient(app);
    const key = (await client.login('user-9')).key!;
    const stolenCookie = client.cookie!;
    expect(await app.get(SessionStoreService).load(key)).not.toBeNull();
    await client.logout();
    expect(await app.get(SessionStoreService).load(key)).toBeNull();
    const other = new UserSessionsTestClient(app);
    await other.get('/notes').set('Cookie', stolenCookie).expect(401);
  });
});
