import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../sample-app/app.module.js';
import { setupOpenApi } from '../sample-app/openapi.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { FAST_SIGN_INS } from './support/sample-app.js';

// The document is the same on every database: SQLite is enough.
describe('sample app OpenAPI document on SQLite', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, FAST_SIGN_INS)],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    setupOpenApi(app);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('serves Swagger UI at /docs and the document at /docs-json, with the sessions APIs and their cookie', async () => {
    const page = await request(url).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');
    // Its own scripts and styles only, never framed.
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'self';.*frame-ancestors 'none'/);
    await request(url).get('/docs/swagger-ui-init.js').expect(200).expect('Content-Type', /javascript/);

    const { body } = await request(url).get('/docs-json').expect(200);
    expect(body.info.title).toBe('nestjs-user-sessions sample app');
    expect(Object.keys(body.paths).sort()).toEqual([
      '/account/activity',
      '/account/devices',
      '/account/devices/answer',
      '/account/devices/answer/preview',
      '/account/sessions',
      '/account/sessions/{id}',
      // The admin API stays out of a public document (includeAdminApiInOpenApi() puts it in).
      '/auth/login',
      '/auth/logout',
      '/auth/me',
      '/auth/password',
      '/auth/reauthenticate',
    ]);
    expect(body.paths['/account/sessions'].get.security).toEqual([{ sessionid: [] }]);
    expect(body.components.securitySchemes.sessionid).toEqual({ type: 'apiKey', in: 'cookie', name: 'sessionid' });
  });
});
