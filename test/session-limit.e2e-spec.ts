import request from 'supertest';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { SecurityActivityRecord, Session, UserSessionsEvents, type UserSessionsEvent } from '../lib/index.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, startTestApp, type TestApp } from './support/test-app.js';

const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

// maxSessionsPerUser: 2, with each strategy.
describeEachDatabaseAndPlatform('session limit', (kind, platform) => {
  let database: TestDatabase;
  let endLeastRecent: TestApp;
  let refuse: TestApp;
  const heard: UserSessionsEvent[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    endLeastRecent = await startTestApp(database, { maxSessionsPerUser: 2, onEvent: (event) => void heard.push(event) }, { platform });
    refuse = await startTestApp(database, { maxSessionsPerUser: 2, sessionLimitStrategy: 'refuse' }, { platform });
  });
  afterAll(async () => {
    await endLeastRecent?.close();
    await refuse?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    heard.length = 0;
    for (const user of ['alice', 'bob']) await endLeastRecent.store.deleteAllForUser(user);
  });

  async function signIn(app: TestApp, userId: string, extra: object = {}, userAgent = 'Laptop'): Promise<request.Response> {
    return request(app.url).post('/login').set('User-Agent', userAgent).send({ userId, ...extra });
  }
  const keyOf = (response: request.Response) => sessionCookie(response.headers['set-cookie'])!;

  it("'end-least-recent': a third sign-in ends the least recently active session, and says so", async () => {
    const first = keyOf(await signIn(endLeastRecent, 'alice'));
    const second = keyOf(await signIn(endLeastRecent, 'alice'));
    await signIn(endLeastRecent, 'bob');
    // The second was last used an hour ago: it, not the first signed in, is the least recently active.
    await endLeastRecent.app.get(DataSource).getRepository(Session).update({ id: digestSessionKey(second) }, { lastActivity: new Date(Date.now() - 3_600_000) });
    const third = keyOf(await signIn(endLeastRecent, 'alice'));

    expect(await endLeastRecent.store.exists(first)).toBe(true);
    expect(await endLeastRecent.store.exists(second)).toBe(false);
    expect(await endLeastRecent.store.exists(third)).toBe(true);
    expect(await endLeastRecent.store.listActive('alice')).toHaveLength(2);
    expect(await endLeastRecent.store.listActive('bob')).toHaveLength(1);
    await request(endLeastRecent.url).get('/me').set('Cookie', `sessionid=${second}`).expect(401);
    const ended = heard.filter((event) => event.type === UserSessionsEvents.ended);
    expect(ended).toEqual([expect.objectContaining({ endedBy: 'session-limit', scope: 'session', userId: 'alice', count: 1 })]);
    // alice's security activity says why that session ended.
    const history = await endLeastRecent.app.get(DataSource).getRepository(SecurityActivityRecord).findBy({ sessionId: digestSessionKey(second), kind: 'session-ended' });
    expect(history.map((entry) => JSON.parse(entry.details!).endedBy)).toEqual(['session-limit']);
  });

  it("'refuse': 409 listing the sessions; signing in again with one of them to end succeeds", async () => {
    await signIn(refuse, 'alice');
    await signIn(refuse, 'alice', {}, PHONE);
    const refused = await signIn(refuse, 'alice');
    expect(refused.status).toBe(409);
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(refused.body).toMatchObject({ statusCode: 409, message: 'Session limit reached', sessionLimit: 2 });
    expect(refused.body.sessions.map((session: { device: string }) => session.device).sort()).toEqual([null, 'Safari on iPhone'].sort());
    expect(await refuse.store.listActive('alice')).toHaveLength(2);

    const phone = refused.body.sessions.find((session: { device: string }) => session.device === 'Safari on iPhone');
    const accepted = await signIn(refuse, 'alice', { endSession: phone.id });
    expect(accepted.status).toBe(201);
    const active = await refuse.store.listActive('alice');
    expect(active.map((session) => session.id)).not.toContain(phone.id);
    expect(active).toHaveLength(2);
    // Another user's session id ends nothing, and the limit still holds.
    const bob = await refuse.store.create({ userId: 'bob' });
    expect((await signIn(refuse, 'alice', { endSession: bob.id })).status).toBe(409);
    expect(await refuse.store.exists(bob.key!)).toBe(true);
  });
});
