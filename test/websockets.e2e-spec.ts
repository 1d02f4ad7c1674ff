import request from 'supertest';
import type { IncomingMessage } from 'node:http';
import { Module, UseGuards, UseInterceptors, type INestApplication } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import { WebSocket } from 'ws';
import { io, type Socket as IoClient } from 'socket.io-client';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DataSource } from 'typeorm';
import {
  CurrentUserId,
  LiveSessionsService,
  RequireRecentLogin,
  Session,
  UNAUTHENTICATED_CLOSE_CODE,
  UserSessionsGuard,
  UserSessionsInterceptor,
  type UserSessionsModuleOptions,
} from '../lib/index.js';
import { createTestDatabase, databaseMatrix, describeEachDatabase, type DatabaseKind, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform, type TestPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { cleanUpRedis, connectRedis, until } from './support/redis.js';

type Library = 'socket.io' | 'ws';
const REDIS_SKIP = inject('services').redis;

/**
 * The gateway of the tests: a message answered with the user's id behind the guard, one behind
 * "sudo mode", and a public one with the interceptor alone.
 */
function gatewayFor(library: Library) {
  @WebSocketGateway(library === 'ws' ? { path: '/ws' } : {})
  class AccountGateway implements OnGatewayConnection {
    constructor(private readonly liveSessions: LiveSessionsService) {}

    async handleConnection(client: object, request: IncomingMessage): Promise<void> {
      await this.liveSessions.connect(client, request);
    }

    @SubscribeMessage('whoami')
    @UseGuards(UserSessionsGuard)
    whoami(@CurrentUserId() userId: string) {
      return { event: 'me', data: userId };
    }

    @SubscribeMessage('public')
    @UseInterceptors(UserSessionsInterceptor)
    public(@CurrentUserId() userId: string | null) {
      return { event: 'public', data: userId };
    }

    @SubscribeMessage('delete-account')
    @UseGuards(UserSessionsGuard)
    @RequireRecentLogin(60_000)
    deleteAccount() {
      return { event: 'deleted', data: true };
    }
  }
  @Module({ providers: [AccountGateway] })
  class AccountGatewayModule {}
  return AccountGatewayModule;
}

/** A client of either library, with what the tests ask of it. */
interface TestClient {
  /** Resolves with the close code (ws) or the disconnect reason (socket.io). */
  closed: Promise<number | string>;
  /** The messages (event, data) received, in order. */
  received: { event: string; data: unknown }[];
  send(event: string, data?: unknown): void;
  close(): void;
}

const clients: TestClient[] = [];

async function openClient(library: Library, url: string, headers: Record<string, string>): Promise<TestClient> {
  const received: TestClient['received'] = [];
  let client: TestClient;
  if (library === 'ws') {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers });
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (raw) => received.push(JSON.parse(String(raw)) as { event: string; data: unknown }));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    client = { closed, received, send: (event, data = {}) => socket.send(JSON.stringify({ event, data })), close: () => socket.close() };
  } else {
    const socket: IoClient = io(url, { transports: ['websocket'], extraHeaders: headers, reconnection: false, forceNew: true });
    const closed = new Promise<string>((resolve) => socket.on('disconnect', (reason) => resolve(reason)));
    socket.onAny((event: string, data: unknown) => received.push({ event, data }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    client = { closed, received, send: (event, data = {}) => socket.emit(event, data), close: () => socket.disconnect() };
  }
  clients.push(client);
  return client;
}

/** What a client gets when the module closes it: ws's close code, socket.io's server-side disconnect. */
const CLOSED_BY_SERVER: Record<Library, number | string> = { ws: UNAUTHENTICATED_CLOSE_CODE, 'socket.io': 'io server disconnect' };

async function startGatewayApp(database: TestDatabase, platform: TestPlatform, library: Library, options: UserSessionsModuleOptions = {}, trustProxy?: string): Promise<TestApp> {
  const configure = library === 'ws' ? (app: INestApplication) => app.useWebSocketAdapter(new WsAdapter(app)) : undefined;
  return startTestApp(database, options, { platform, configure, trustProxy }, undefined, [gatewayFor(library)]);
}

async function signIn(t: TestApp, userId: string): Promise<{ cookie: string; id: string }> {
  const response = await request(t.url).post('/login').send({ userId }).expect(201);
  const key = sessionCookie(response.headers['set-cookie'])!;
  // A sign-in's session id is its new key's digest.
  return { cookie: `sessionid=${key}`, id: digestSessionKey(key) };
}

/** The next message of `event` the client receives (after those it has). */
async function nextMessage(client: TestClient, event: string, from = client.received.length): Promise<unknown> {
  await until(() => client.received.slice(from).some((message) => message.event === event), 5_000, `the "${event}" message`);
  return client.received.slice(from).find((message) => message.event === event)!.data;
}

afterAll(() => {
  for (const client of clients.splice(0)) client.close();
});

for (const library of ['socket.io', 'ws'] as const) {
  describeEachDatabaseAndPlatform(`WebSocket gateway (${library}): the session of the handshake`, (kind, platform) => {
    let database: TestDatabase;
    let t: TestApp;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      t = await startGatewayApp(database, platform, library, {}, 'loopback');
    });
    afterAll(async () => {
      for (const client of clients.splice(0)) client.close();
      await t?.close();
      await database?.drop();
    });
    beforeEach(async () => {
      await t.app.get(DataSource).getRepository(Session).clear();
    });

    it('refuses an anonymous handshake: closed with its code and an UNAUTHENTICATED reason', async () => {
      const client = await openClient(library, t.url, {});
      expect(await client.closed).toBe(CLOSED_BY_SERVER[library]);
      if (library === 'socket.io') {
        expect(client.received).toContainEqual({ event: 'exception', data: { status: 'error', message: 'Sign in to continue.', code: 'UNAUTHENTICATED' } });
      }
    });

    it('refuses a junk cookie the same way, without a query', async () => {
      t.queries.reset();
      const client = await openClient(library, t.url, { Cookie: 'sessionid=junk' });
      expect(await client.closed).toBe(CLOSED_BY_SERVER[library]);
      expect(t.queries.sessionStatements()).toEqual([]);
    });

    it('accepts a signed-in handshake in one primary-key read; its messages cost no SQL', async () => {
      const { cookie } = await signIn(t, 'ada');
      t.queries.reset();
      const client = await openClient(library, t.url, { Cookie: cookie });
      expect(await nextMessage((client.send('whoami'), client), 'me')).toBe('ada');
      expect(t.queries.sessionStatements()).toHaveLength(1);
      expect(t.queries.sessionStatements()[0]).toMatch(/^SELECT/);
      t.queries.reset();
      for (let i = 0; i < 20; i++) client.send('whoami');
      await until(() => client.received.filter((message) => message.event === 'me').length === 21, 5_000, '20 answers');
      expect(t.queries.sessionStatements()).toEqual([]);
    });

    for (const [message, by] of [
      ['whoami', 'the guard'],
      ['public', 'the interceptor alone'],
    ] as const) {
      it(`records activity from messages through ${by}: one UPDATE per activityInterval (60 s), none otherwise; the IP as the trust-proxy setting sees it`, async () => {
        const { cookie, id } = await signIn(t, 'ada');
        // Last used two minutes ago: the first message is due to record activity (activityInterval, 60 s).
        await t.app.get(DataSource).getRepository(Session).update({ id }, { lastActivity: new Date(Date.now() - 120_000) });
        const client = await openClient(library, t.url, { Cookie: cookie, 'X-Forwarded-For': '203.0.113.7' });
        t.queries.reset();
        const from = client.received.length;
        for (let i = 0; i < 5; i++) client.send(message);
        await until(() => client.received.slice(from).length === 5, 5_000, '5 answers');
        expect(client.received.slice(from).map((answer) => answer.data)).toEqual(['ada', 'ada', 'ada', 'ada', 'ada']);
        // The write is not awaited by the message: it lands just after.
        await until(() => t.queries.sessionStatements().length > 0, 2_000, 'the activity write');
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(t.queries.sessionStatements()).toHaveLength(1);
        expect(t.queries.sessionStatements()[0]).toMatch(/^UPDATE/);
        const row = await t.app.get(DataSource).getRepository(Session).findOneByOrFail({ id });
        expect(row.ip).toBe('203.0.113.7');
        expect(row.lastActivity.getTime()).toBeGreaterThan(Date.now() - 2_000);
        t.queries.reset();
        for (let i = 0; i < 5; i++) client.send(message);
        await until(() => client.received.slice(from).length === 10, 5_000, '5 more answers');
        expect(t.queries.sessionStatements()).toEqual([]);
      });
    }

    it('closes the socket within a second of its session being ended from another device', async () => {
      const phone = await signIn(t, 'ada');
      const laptop = await signIn(t, 'ada');
      const client = await openClient(library, t.url, { Cookie: phone.cookie });
      expect(await nextMessage((client.send('whoami'), client), 'me')).toBe('ada');
      const started = Date.now();
      await request(t.url).delete(`/account/sessions/${phone.id}`).set('Cookie', laptop.cookie).set('Origin', t.url).expect(204);
      expect(await client.closed).toBe(CLOSED_BY_SERVER[library]);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('closes it when the user signs out there, and when "end all other sessions" is used elsewhere; keeps the other one', async () => {
      const phone = await signIn(t, 'ada');
      const laptop = await signIn(t, 'ada');
      const phoneSocket = await openClient(library, t.url, { Cookie: phone.cookie });
      const laptopSocket = await openClient(library, t.url, { Cookie: laptop.cookie });
      await nextMessage((phoneSocket.send('whoami'), phoneSocket), 'me');
      await request(t.url).delete('/account/sessions').set('Cookie', laptop.cookie).set('Origin', t.url).expect(200);
      expect(await phoneSocket.closed).toBe(CLOSED_BY_SERVER[library]);
      expect(await nextMessage((laptopSocket.send('whoami'), laptopSocket), 'me')).toBe('ada');
      await request(t.url).post('/logout').set('Cookie', laptop.cookie).set('Origin', t.url);
      expect(await laptopSocket.closed).toBe(CLOSED_BY_SERVER[library]);
    });

    it('refuses a handshake from a page of another origin (cross-site WebSocket hijacking): no session, closed with 4403', async () => {
      const { cookie } = await signIn(t, 'ada');
      t.queries.reset();
      const foreign = await openClient(library, t.url, { Cookie: cookie, Origin: 'https://evil.example' });
      expect(await foreign.closed).toBe(library === 'ws' ? 4403 : 'io server disconnect');
      if (library === 'socket.io') {
        expect(foreign.received).toContainEqual({ event: 'exception', data: { status: 'error', message: 'Cross-origin WebSocket refused.', code: 'FORBIDDEN' } });
      }
      expect(t.queries.sessionStatements()).toEqual([]);
      // The app's own pages are let through.
      const own = await openClient(library, t.url, { Cookie: cookie, Origin: t.url });
      expect(await nextMessage((own.send('whoami'), own), 'me')).toBe('ada');
    });

    it("closes the socket when another user signs in over its session (the session's id changes)", async () => {
      const { cookie } = await signIn(t, 'ada');
      const client = await openClient(library, t.url, { Cookie: cookie });
      expect(await nextMessage((client.send('whoami'), client), 'me')).toBe('ada');
      await request(t.url).post('/login').set('Cookie', cookie).send({ userId: 'bob' }).expect(201);
      expect(await client.closed).toBe(CLOSED_BY_SERVER[library]);
    });

    it('refuses a "sudo mode" message once the sign-in is old, as FORBIDDEN, and keeps the connection', async () => {
      const { cookie, id } = await signIn(t, 'ada');
      const client = await openClient(library, t.url, { Cookie: cookie });
      let from = client.received.length;
      client.send('delete-account');
      expect(await nextMessage(client, 'deleted', from)).toBe(true);
      // The connection's session was loaded at the handshake: a new connection sees the aged sign-in.
      const repository = t.app.get(DataSource).getRepository(Session);
      const data = JSON.parse((await repository.findOneByOrFail({ id })).data) as Record<string, unknown>;
      await repository.update({ id }, { data: JSON.stringify({ ...data, __userSessions: { authenticatedAt: Date.now() - 3_600_000 } }) });
      const later = await openClient(library, t.url, { Cookie: cookie });
      from = later.received.length;
      later.send('delete-account');
      expect(await nextMessage(later, 'exception', from)).toEqual({ status: 'error', message: 'Re-authentication required', code: 'FORBIDDEN', reauthenticate: true });
      expect(await nextMessage((later.send('whoami'), later), 'me')).toBe('ada');
    });
  });
}

describeEachDatabaseAndPlatform('WebSocket gateway (ws) with rotationInterval: a key rotated by HTTP while the socket is open', (kind, platform) => {
  let database: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startGatewayApp(database, platform, 'ws', { rotationInterval: 15 * 60_000 });
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) client.close();
    await t?.close();
    await database?.drop();
  });

  it('keeps the socket, and its activity follows the new key', async () => {
    const { cookie, id } = await signIn(t, 'ada');
    const sessions = t.app.get(DataSource).getRepository(Session);
    // A key 16 minutes old, last used 2 minutes ago: the next request rotates it and records activity.
    await sessions.update({ id }, { keyIssuedAt: new Date(Date.now() - 16 * 60_000), lastActivity: new Date(Date.now() - 120_000) });
    const client = await openClient('ws', t.url, { Cookie: cookie });
    // The socket's session is loaded (with the key as it is now) before HTTP rotates it; a load
    // after the rotation would come with the replaced key, which records no activity.
    await until(async () => t.app.get(LiveSessionsService).openConnections === 1, 2_000, "the socket's session");
    const rotated = await request(t.url).get('/me').set('Cookie', cookie).expect(200);
    expect(sessionCookie(rotated.headers['set-cookie'])).toBeDefined();
    expect(digestSessionKey(cookie.slice('sessionid='.length))).not.toBe((await sessions.findOneByOrFail({ id })).keyDigest);
    const before = (await sessions.findOneByOrFail({ id })).lastActivity.getTime();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await nextMessage((client.send('whoami'), client), 'me')).toBe('ada');
    await until(async () => (await sessions.findOneByOrFail({ id })).lastActivity.getTime() > before, 2_000, 'the activity write');
    expect(client.received.filter((message) => message.event === 'exception')).toEqual([]);
  });
});

describeEachDatabase('WebSocket gateway (ws) with idleTimeout: a socket that only listens', (kind) => {
  let database: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startGatewayApp(database, 'express', 'ws', { activityInterval: 1000, idleTimeout: 3000 });
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) client.close();
    await t?.close();
    await database?.drop();
  });

  it("stays open while the browser's requests keep the session alive, and closes once it is idle", async () => {
    const { cookie } = await signIn(t, 'ada');
    const client = await openClient('ws', t.url, { Cookie: cookie });
    let open = true;
    void client.closed.then(() => (open = false));
    // The page's HTTP requests move the expiry; the socket sends nothing.
    for (let elapsed = 0; elapsed < 4500; elapsed += 400) {
      await request(t.url).get('/me').set('Cookie', cookie).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(open).toBe(true);
    const idleSince = Date.now();
    expect(await client.closed).toBe(UNAUTHENTICATED_CLOSE_CODE);
    expect(Date.now() - idleSince).toBeLessThan(3000 + 2000);
  });
});

describeEachDatabase('WebSocket gateway (ws): a session that expires', (kind) => {
  let database: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    t = await startGatewayApp(database, 'express', 'ws', { maxAge: 3000 });
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) client.close();
    await t?.close();
    await database?.drop();
  });

  it('closes its socket within a second of its expiry, with code 4401', async () => {
    const { cookie, id } = await signIn(t, 'ada');
    const client = await openClient('ws', t.url, { Cookie: cookie });
    expect(await nextMessage((client.send('whoami'), client), 'me')).toBe('ada');
    const expiry = (await t.app.get(DataSource).getRepository(Session).findOneByOrFail({ id })).expireDate.getTime();
    expect(await client.closed).toBe(UNAUTHENTICATED_CLOSE_CODE);
    expect(Date.now() - expiry).toBeLessThan(1500);
  });
});

/** Two instances over one database: the connection is on A, the session is ended on B. */
function describeTwoInstances(title: string, kinds: DatabaseKind[], options: () => Promise<UserSessionsModuleOptions>, skip: string | null, transport: string) {
  for (const entry of databaseMatrix().filter(({ kind }) => kinds.includes(kind))) {
    for (const library of ['socket.io', 'ws'] as const) {
      const reason = skip ?? entry.skip;
      describe.skipIf(reason !== null)(`${title}, ${library}, on ${entry.label}${reason === null ? '' : ` (skipped: ${reason})`}`, () => {
        let database: TestDatabase;
        let a: TestApp;
        let b: TestApp;
        beforeAll(async () => {
          database = await createTestDatabase(entry.kind);
          a = await startGatewayApp(database, 'express', library, await options());
          b = await startGatewayApp(database, 'fastify', library, await options());
        });
        afterAll(async () => {
          for (const client of clients.splice(0)) client.close();
          await a?.close();
          await b?.close();
          await database?.drop();
          await cleanUpRedis('live-test:');
        });

        it(`closes the socket on instance A within a second of the session being ended on instance B (${transport})`, async () => {
          expect(a.app.get(LiveSessionsService).transport).toBe(transport);
          const phone = await signIn(a, 'ada');
          const laptop = await signIn(b, 'ada');
          const client = await openClient(library, a.url, { Cookie: phone.cookie });
          expect(await nextMessage((client.send('whoami'), client), 'me')).toBe('ada');
          const started = Date.now();
          await request(b.url).delete(`/account/sessions/${phone.id}`).set('Cookie', laptop.cookie).set('Origin', b.url).expect(204);
          expect(await client.closed).toBe(CLOSED_BY_SERVER[library]);
          expect(Date.now() - started).toBeLessThan(1000);
        });

        it('an admin ending all the user\'s sessions on B closes every socket of theirs on A, and no one else\'s', async () => {
          const ada = await signIn(a, 'ada');
          const bob = await signIn(a, 'bob');
          const adaSocket = await openClient(library, a.url, { Cookie: ada.cookie });
          const bobSocket = await openClient(library, a.url, { Cookie: bob.cookie });
          await nextMessage((adaSocket.send('whoami'), adaSocket), 'me');
          await b.store.deleteAllForUser('ada');
          expect(await adaSocket.closed).toBe(CLOSED_BY_SERVER[library]);
          expect(await nextMessage((bobSocket.send('whoami'), bobSocket), 'me')).toBe('bob');
        });
      });
    }
  }
}

describeTwoInstances(
  'Two instances, ends over Redis pub/sub',
  ['sqlite', 'mariadb', 'postgres'],
  async () => ({ liveSessions: { redis: await connectRedis(), channel: `live-test:${process.pid}` } }),
  REDIS_SKIP === null ? null : `needs Redis: ${REDIS_SKIP}`,
  'redis',
);

describeTwoInstances('Two instances, ends over PostgreSQL LISTEN/NOTIFY', ['postgres'], async () => ({}), null, 'postgres');
