import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseMatrix, type TestDatabase } from './support/databases.js';
import { SERVICES } from './support/services.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';

const quiet: LoggerService = { log() {}, warn() {}, error() {} };

/**
 * A database that accepts connections but never answers (a proxy that stops passing bytes,
 * as a network dropping packets does), with the drivers' default settings, which wait for as
 * long as TCP does: `storageTimeout` answers 503 instead, and the app serves again once the
 * database answers. SQLite runs in the process and cannot go silent.
 */
for (const { kind, label, skip } of databaseMatrix().filter((entry) => entry.kind !== 'sqlite')) {
  describe.skipIf(skip !== null)(skip === null ? `storageTimeout on ${label}` : `storageTimeout on ${label} (skipped: ${skip})`, () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let t: TestApp;
    beforeAll(async () => {
      database = await createTestDatabase(kind);
      proxy = await TcpProxy.start(SERVICES[kind as keyof typeof SERVICES]);
      t = await startTestApp(
        { ...database, options: { ...database.options, host: '127.0.0.1', port: proxy.port } },
        { storageTimeout: 500 },
        (app) => app.useLogger(quiet),
      );
    });
    afterAll(async () => {
      proxy?.resume();
      await t?.close();
      await proxy?.close();
      await database?.drop();
    });

    it('a database that does not answer: 503 after storageTimeout, then normal service when it answers again', async () => {
      const login = await request(t.url).post('/login').send({ userId: 'alice' }).expect(201);
      const key = sessionCookie(login.headers['set-cookie'])!;
      proxy.silence();
      try {
        for (const send of [
          () => request(t.url).get('/me').set('Cookie', `sessionid=${key}`),
          () => request(t.url).post('/login').send({ userId: 'bob' }),
          () => request(t.url).get('/account/sessions').set('Cookie', `sessionid=${key}`),
        ]) {
          const started = Date.now();
          const response = await send();
          const elapsed = Date.now() - started;
          expect(response.status).toBe(503);
          expect(response.body).toMatchObject({ statusCode: 503 });
          expect(elapsed).toBeGreaterThanOrEqual(450);
          expect(elapsed).toBeLessThan(2_000);
        }
      } finally {
        proxy.resume();
      }
      // What the driver queued meanwhile goes through now; new requests are served again.
      let status = 0;
      for (let tries = 0; tries < 50 && status !== 200; tries++) {
        status = (await request(t.url).get('/me').set('Cookie', `sessionid=${key}`)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
      await request(t.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'alice' });
    });
  });
}
