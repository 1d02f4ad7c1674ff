import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import { AppModule } from '../sample-app/app.module.js';
import { createSampleApp } from '../sample-app/platform.js';
import { User } from '../sample-app/users/user.entity.js';
import { UserSessionsTestClient } from '../lib/testing/index.js';

// How an app tests its guarded routes with the test client, without its login form.
describeEachDatabaseAndPlatform('sample app with UserSessionsTestClient', (kind, platform) => {
  let database: TestDatabase;
  let app: INestApplication;
  let aliceId: number;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    app = await createSampleApp(AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, FAST_SIGN_INS), platform, undefined, {
      logger: ['error'],
      abortOnError: false,
    });
    await app.init();
    // Fastify answers no request before it is ready.
    if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    aliceId = (await app.get(DataSource).getRepository(User).findOneByOrFail({ username: 'alice' })).id;
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('signs alice in and reaches her guarded routes', async () => {
    const client = new UserSessionsTestClient(app, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' });
    await client.get('/auth/me').expect(401);
    await client.login(aliceId);
    await client.get('/auth/me').expect(200, { id: aliceId, username: 'alice' });
    const listed = await client.get('/account/sessions').expect(200);
    expect(listed.body).toEqual([expect.objectContaining({ current: true, device: 'Firefox on Linux' })]);
  });

  it('signs in as login() does: "End all other sessions", in sudo mode for 5 minutes, lets it through', async () => {
    const client = new UserSessionsTestClient(app);
    await client.login(aliceId);
    await client.delete('/account/sessions').expect(200);
  });

  it('follows the app’s own logout route', async () => {
    const client = new UserSessionsTestClient(app);
    await client.login(aliceId);
    await client.post('/auth/logout').expect(204);
    expect(client.cookie).toBeUndefined();
    await client.get('/auth/me').expect(401);
  });
});
