import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { WebSocket } from 'ws';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import { until } from './support/redis.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { Session, UNAUTHENTICATED_CLOSE_CODE } from '../lib/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { createSampleApp } from '../sample-app/platform.js';
import { UsersService } from '../sample-app/users/users.service.js';

const ALICE = { username: 'alice', password: 'alice-password' };
const BOB = { username: 'bob', password: 'bob-password' };

describeEachDatabaseAndPlatform('sample app: GraphQL and the live sessions socket', (kind, platform) => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    app = await createSampleApp(AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, FAST_SIGN_INS), platform, undefined, {
      logger: ['error'],
    });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await app?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await app.get(DataSource).getRepository(Session).clear();
    await app.get(UsersService).seedDemoUsers();
  });

  /** Signs in; the `sessionid=<key>` cookie and the session's id. */
  async function signIn(credentials: typeof ALICE, userAgent = 'test'): Promise<{ cookie: string; id: string }> {
    const response = await request(url).post('/auth/login').set('User-Agent', userAgent).send(credentials).expect(200);
    const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((value) => value.startsWith('sessionid='))!.split(';')[0];
    return { cookie, id: digestSessionKey(cookie.slice('sessionid='.length)) };
  }

  function graphql(query: string, cookie?: string, origin?: string) {
    const call = request(url).post('/graphql').set('Content-Type', 'application/json');
    if (cookie) call.set('Cookie', cookie);
    if (origin) call.set('Origin', origin);
    return call.send({ query });
  }

  /** Moves the recorded password entry an hour into the past, in the row. */
  async function passwordEnteredLongAgo(id: string): Promise<void> {
    const sessions = app.get(DataSource).getRepository(Session);
    const data = JSON.parse((await sessions.findOneByOrFail({ id })).data) as Record<string, unknown>;
    await sessions.update({ id }, { data: JSON.stringify({ ...data, __userSessions: { authenticatedAt: Date.now() - 3_600_000 } }) });
  }

  it('query sessions: the user\'s sessions with device, place, IP, last activity and which is current', async () => {
    const laptop = await signIn(ALICE, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36');
    const phone = await signIn(ALICE);
    await signIn(BOB);
    const response = await graphql('{ sessions { id device location ip lastActivity current } }', laptop.cookie).expect(200);
    const sessions = (response.body as { data: { sessions: { id: string; device: string | null; current: boolean; ip: string; lastActivity: string }[] } }).data.sessions;
    expect(sessions.map((session) => session.id).sort()).toEqual([laptop.id, phone.id].sort());
    const current = sessions.find((session) => session.current)!;
    expect(current).toMatchObject({ id: laptop.id, device: 'Chrome on Windows', ip: '127.0.0.1' });
    expect(Date.parse(current.lastActivity)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('anonymous: UNAUTHENTICATED, for the query and the mutations', async () => {
    for (const query of ['{ sessions { id } }', `mutation { endSession(id: "${'a'.repeat(64)}") }`, 'mutation { endOtherSessions }']) {
      const response = await graphql(query).expect(200);
      expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(response.body.data).toBeNull();
    }
  });

  it("endSession: another user's id is false and ends nothing; an own session's id ends it; junk is BAD_REQUEST", async () => {
    const alice = await signIn(ALICE);
    const alicePhone = await signIn(ALICE);
    const bob = await signIn(BOB);
    expect((await graphql(`mutation { endSession(id: "${bob.id}") }`, alice.cookie).expect(200)).body).toEqual({ data: { endSession: false } });
    await request(url).get('/account/sessions').set('Cookie', bob.cookie).expect(200);
    expect((await graphql(`mutation { endSession(id: "${alicePhone.id}") }`, alice.cookie).expect(200)).body).toEqual({ data: { endSession: true } });
    await request(url).get('/account/sessions').set('Cookie', alicePhone.cookie).expect(401);
    const junk = await graphql('mutation { endSession(id: "../1") }', alice.cookie).expect(200);
    expect(junk.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('endOtherSessions: asks for the password again when it was entered over 5 minutes ago, as REST does', async () => {
    const laptop = await signIn(ALICE);
    const phone = await signIn(ALICE);
    await passwordEnteredLongAgo(laptop.id);
    const refused = await graphql('mutation { endOtherSessions }', laptop.cookie).expect(200);
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(refused.body.errors[0].extensions.originalError).toMatchObject({ reauthenticate: true });
    await request(url).get('/account/sessions').set('Cookie', phone.cookie).expect(200);
    const other = await signIn(ALICE);
    expect((await graphql('mutation { endOtherSessions }', other.cookie).expect(200)).body).toEqual({ data: { endOtherSessions: 2 } });
    await request(url).get('/account/sessions').set('Cookie', phone.cookie).expect(401);
  });

  it('a mutation from a foreign Origin is refused before GraphQL runs, and ends nothing', async () => {
    const laptop = await signIn(ALICE);
    const phone = await signIn(ALICE);
    await graphql(`mutation { endSession(id: "${phone.id}") }`, laptop.cookie, 'https://evil.example').expect(403);
    await request(url).get('/account/sessions').set('Cookie', phone.cookie).expect(200);
  });

  /** The sessions page's socket; its messages and close code. */
  async function livePage(cookie?: string) {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/account/sessions/live`, { headers: cookie ? { Cookie: cookie } : {} });
    sockets.push(socket);
    const messages: unknown[] = [];
    socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return { messages, closed };
  }

  it('the live socket: told of a sign-in and an end elsewhere; closed with 4401 when its own session ends, or when signed out', async () => {
    const laptop = await signIn(ALICE);
    const page = await livePage(laptop.cookie);
    // Opened once its session is loaded; a sign-in after that is told.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const phone = await signIn(ALICE);
    await until(() => page.messages.length === 1, 2_000, 'the sign-in to be told');
    expect(page.messages).toEqual([{ event: 'sessions-changed' }]);
    await signIn(BOB);
    await request(url).delete(`/account/sessions/${phone.id}`).set('Cookie', laptop.cookie).set('Origin', url).expect(204);
    await until(() => page.messages.length === 2, 2_000, 'the end to be told');
    const phonePage = await livePage((await signIn(ALICE)).cookie);
    await request(url).delete('/account/sessions').set('Cookie', laptop.cookie).set('Origin', url).expect(200);
    expect(await phonePage.closed).toBe(UNAUTHENTICATED_CLOSE_CODE);
    expect(await (await livePage()).closed).toBe(UNAUTHENTICATED_CLOSE_CODE);
  });
});
