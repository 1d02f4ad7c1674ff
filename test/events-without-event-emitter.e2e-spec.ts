import { Logger } from '@nestjs/common';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { QueryCounter, sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import type { UserSessionsEvent } from '../lib/index.js';

// An app without the optional peer: in this file, importing @nestjs/event-emitter fails as it
// does when the package is not installed. Had any file of the library imported it statically,
// this file would fail to load at all.
vi.mock('@nestjs/event-emitter', () => {
  throw Object.assign(new Error("Cannot find package '@nestjs/event-emitter'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

describe('events without @nestjs/event-emitter installed', () => {
  let database: TestDatabase;
  let quiet: TestApp;
  let withCallback: TestApp;
  let onEvent: (event: UserSessionsEvent) => void | Promise<void>;
  const heard: UserSessionsEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    quiet = await startTestApp(database, {}, undefined, new QueryCounter());
    withCallback = await startTestApp(database, { onEvent: (event) => onEvent(event) }, undefined, new QueryCounter());
  });
  afterAll(async () => {
    await quiet?.close();
    await withCallback?.close();
    await database?.drop();
  });
  beforeEach(() => {
    heard.length = 0;
    onEvent = (event) => void heard.push(event);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the package really cannot be imported here', async () => {
    await expect(import('@nestjs/event-emitter')).rejects.toHaveProperty('cause.code', 'ERR_MODULE_NOT_FOUND');
  });

  it('the module loads and serves; a login is its one INSERT', async () => {
    quiet.queries.reset();
    const response = await request(quiet.url).post('/login').send({ userId: 'alice' }).expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    await request(quiet.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'alice' });
    const statements = quiet.queries.sessionStatements();
    expect(statements.map((statement) => statement.split(' ')[0].toUpperCase())).toEqual(['INSERT', 'SELECT']);
  });

  it('the onEvent callback hears every event', async () => {
    const response = await request(withCallback.url).post('/login').set('User-Agent', 'Test/1.0').send({ userId: 'carol' }).expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    await request(withCallback.url).post('/logout').set('Cookie', `sessionid=${key}`).expect(204);
    expect(heard).toEqual([
      expect.objectContaining({ type: 'user-sessions.created', userId: 'carol' }),
      expect.objectContaining({ type: 'user-sessions.signed-in', userId: 'carol', userAgent: 'Test/1.0', newDevice: true, newIp: true }),
      expect.objectContaining({ type: 'user-sessions.new-device', userId: 'carol', userAgent: 'Test/1.0' }),
      expect.objectContaining({ type: 'user-sessions.ended', endedBy: 'self', scope: 'session', userId: 'carol', count: 1 }),
    ]);
    expect(JSON.stringify(heard)).not.toContain(key);
  });

  it('a throwing or rejecting callback is logged; the requests succeed and it is not awaited', async () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    onEvent = (event) => {
      if (event.type === 'user-sessions.created') throw new Error('callback bug');
      // Never settles before the request is answered: the callback is not awaited.
      if (event.type === 'user-sessions.ended') return new Promise((_, reject) => setTimeout(() => reject(new Error('audit down')), 50));
    };
    const response = await request(withCallback.url).post('/login').send({ userId: 'bob' }).expect(201);
    const key = sessionCookie(response.headers['set-cookie'])!;
    await request(withCallback.url).get('/me').set('Cookie', `sessionid=${key}`).expect(200, { userId: 'bob' });
    await request(withCallback.url).post('/logout').set('Cookie', `sessionid=${key}`).expect(204);
    expect(errors.mock.calls.map(([message]) => String(message))).toEqual(['A listener of "user-sessions.created" failed: callback bug']);
    await vi.waitFor(() => expect(errors).toHaveBeenCalledTimes(2));
    expect(String(errors.mock.calls[1][0])).toBe('A listener of "user-sessions.ended" failed: audit down');
  });
});
