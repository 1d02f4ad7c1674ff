import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { AppModule } from '../sample-app/app.module.js';
import { User } from '../sample-app/users/user.entity.js';
import { UserSessionsTestClient } from '../lib/testing/index.js';

// How an app tests its guarded routes with the test client, without its login form.
describeEachDatabase('sample app with UserSessionsTestClient', (kind) => {
  let database: TestDatabase;
  let app: INestApplication;
  let aliceId: number;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
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
