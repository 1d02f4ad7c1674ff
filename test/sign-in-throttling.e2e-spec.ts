import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi, type MockInstance } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachPlatform } from './support/platforms.js';
import { TEST_SCRYPT_COST } from './support/sample-app.js';
import { Session } from '../lib/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { createSampleApp } from '../sample-app/platform.js';
import { UsersService } from '../sample-app/users/users.service.js';

const ALICE = { username: 'alice', password: 'alice-password' };
const BOB = { username: 'bob', password: 'bob-password' };
/** Client addresses, sent as X-Forwarded-For from the trusted loopback proxy. */
const IP_A = '203.0.113.1';
const IP_B = '203.0.113.2';
const ip = (n: number) => `198.51.100.${n}`;
const TOO_MANY = { statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^Too many attempts\. Try again in \d+ (seconds|minutes)\.$/) };

// Issue 16: the sample app's password attempts, at the production limits (SIGN_IN_LIMITS):
// per account 5 a minute and 20 an hour, per IP 20 a minute and 100 an hour. Throttling keeps
// no state in the database: SQLite is enough. Cheap hashes (the limits are what is tested).
describeEachPlatform('sign-in throttling in the sample app on SQLite', (platform) => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;
  /** The password checks (scrypt) the app made. */
  let passwordChecks: MockInstance;
  /** How far the tests moved the clock the throttler reads. */
  let skew = 0;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await database?.drop();
  });
  // A new app for each test: the counts are kept in its memory.
  beforeEach(async () => {
    skew = 0;
    const now = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => now() + skew);
    app = await createSampleApp(
      AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, { scryptCost: TEST_SCRYPT_COST }),
      platform,
      'loopback',
      { logger: ['error'], abortOnError: false },
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    await app.get(DataSource).getRepository(Session).clear();
    const users = app.get(UsersService);
    passwordChecks = vi.spyOn(users, 'findByCredentials');
    vi.spyOn(users, 'checkPassword');
  });
  afterEach(async () => {
    await app?.close();
    vi.restoreAllMocks();
  });

  const login = (body: object, from: string) => request(url).post('/auth/login').set('X-Forwarded-For', from).send(body);
  const minutesPass = (minutes: number) => (skew += minutes * 60_000 + 1000);

  /** A signed-in session's cookie. */
  async function signedIn(credentials: typeof ALICE, from: string): Promise<string> {
    const response = await login(credentials, from).expect(200);
    return /sessionid=[^;]+/.exec(String(response.headers['set-cookie']))![0];
  }

  function expectTooMany(response: request.Response, maxSeconds: number): void {
    expect(response.body).toEqual(TOO_MANY);
    const retryAfter = Number(response.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(maxSeconds - 120);
    expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
    expect(response.headers['set-cookie']).toBeUndefined();
  }

  it('five attempts at an account in a minute, then 429 with Retry-After, before any password check; the right password is refused too', async () => {
    for (let guess = 0; guess < 5; guess++) {
      const wrong = await login({ ...ALICE, password: `guess ${guess}` }, IP_A).expect(401);
      expect(Object.keys(wrong.headers).filter((name) => name.startsWith('x-ratelimit'))).toEqual([]);
    }
    expectTooMany(await login({ ...ALICE, password: 'guess 5' }, IP_A).expect(429), 60);
    expectTooMany(await login(ALICE, IP_A).expect(429), 60);
    // Refused before scrypt: a flood costs no CPU.
    expect(passwordChecks).toHaveBeenCalledTimes(5);
    // The body is still checked first: junk is a 400, locked out or not.
    await login({ username: 'alice' }, IP_A).expect(400);
    await login({ username: ['alice'], password: 'alice-password' }, IP_A).expect(400);
    expect(await app.get(DataSource).getRepository(Session).count()).toBe(0);
  });

  it('the account limit holds across IPs: five guesses from five IPs lock alice out on the next; bob signs in from those IPs', async () => {
    for (let n = 1; n <= 5; n++) {
      await login({ ...ALICE, password: 'wrong' }, ip(n)).expect(401);
    }
    expectTooMany(await login({ ...ALICE, password: 'wrong' }, ip(6)).expect(429), 60);
    expectTooMany(await login(ALICE, ip(7)).expect(429), 60);
    // An account locked out locks out no one else, from the same addresses either.
    await signedIn(BOB, ip(1));
    await signedIn(BOB, ip(6));
  });

  it('spellings of a username share its limit: "Alice", "ALICE", "alice " and "álice" are alice', async () => {
    for (const username of ['alice', 'Alice', 'ALICE', 'alice ', 'álice']) {
      await login({ username, password: 'wrong' }, ip(1)).expect(401);
    }
    expectTooMany(await login(ALICE, ip(2)).expect(429), 60);
  });

  it('the IP limit holds across accounts: twenty attempts from an IP, then 429 there even for the right password; other IPs sign in', async () => {
    for (let n = 0; n < 20; n++) {
      await login({ username: `user-${n}`, password: 'password' }, IP_A).expect(401);
    }
    expectTooMany(await login(BOB, IP_A).expect(429), 60);
    expect(passwordChecks).toHaveBeenCalledTimes(20);
    await signedIn(BOB, IP_B);
    await signedIn(ALICE, IP_B);
  });

  it("an attempt refused by either of an IP's limits counts against no account: a blocked IP cannot lock others out", async () => {
    const attemptsAtOthers = async (round: number) => {
      for (let n = 0; n < 20; n++) await login({ username: `user-${round}.${n}`, password: 'password' }, IP_A).expect(401);
    };
    await attemptsAtOthers(0);
    // Refused by the minute's limit.
    for (let n = 0; n < 10; n++) await login({ ...ALICE, password: 'wrong' }, IP_A).expect(429);
    // 100 attempts in five minutes: the hour's limit, while the minute's has room.
    for (let round = 1; round < 5; round++) {
      minutesPass(1);
      await attemptsAtOthers(round);
    }
    minutesPass(1);
    for (let n = 0; n < 10; n++) expectTooMany(await login({ ...ALICE, password: 'wrong' }, IP_A).expect(429), 3600);
    // Alice's five attempts of the minute are all still hers.
    for (let n = 0; n < 4; n++) await login({ ...ALICE, password: 'wrong' }, IP_B).expect(401);
    await signedIn(ALICE, IP_B);
  });

  it('backs off: each minute-long block gives five more attempts, and past twenty in the hour the block lasts an hour', async () => {
    for (let round = 0; round < 4; round++) {
      for (let guess = 0; guess < 5; guess++) {
        await login({ ...ALICE, password: `guess ${round}.${guess}` }, IP_A).expect(401);
      }
      expectTooMany(await login({ ...ALICE, password: 'one more' }, IP_A).expect(429), 60);
      minutesPass(1);
    }
    // Twenty checked in the hour: the hour's limit.
    expectTooMany(await login({ ...ALICE, password: 'guess 4.0' }, IP_A).expect(429), 3600);
    expect((await login(ALICE, IP_B).expect(429)).body.message).toBe('Too many attempts. Try again in 60 minutes.');
    minutesPass(1);
    expectTooMany(await login(ALICE, IP_B).expect(429), 3600 - 60);
    expect(passwordChecks).toHaveBeenCalledTimes(20);
    minutesPass(60);
    await signedIn(ALICE, IP_B);
  });

  it('junk bodies are a 400 and count against nothing; odd usernames are plain strings to it', async () => {
    const junk: (object | string)[] = [
      {},
      { username: 'alice' },
      { password: 'alice-password' },
      { username: 'alice', password: 5 },
      { username: ['alice'], password: 'x' },
      { username: { toString: 'alice' }, password: 'x' },
      { username: null, password: 'x' },
      { username: '', password: 'x' },
      { username: 'a'.repeat(65), password: 'x' },
      '{"username":"alice\\u0000","password":"x"}',
      '{"username":"alice",',
    ];
    for (let round = 0; round < 3; round++) {
      for (const body of junk) {
        const sent = request(url).post('/auth/login').set('X-Forwarded-For', IP_A);
        await (typeof body === 'string' ? sent.set('Content-Type', 'application/json').send(body) : sent.send(body)).expect(400);
      }
    }
    expect(passwordChecks).not.toHaveBeenCalled();
    for (const username of ['__proto__', 'constructor', 'hasOwnProperty', '👩‍💻'.repeat(8), 'ａｌｉｃｅ\u200b']) {
      await login({ username, password: 'x' }, IP_A).expect(401);
    }
    // 33 junk bodies and 5 attempts from IP_A: only the attempts counted.
    await signedIn(BOB, IP_A);
  });

  it('re-authentication: five wrong passwords for a user, even from five IPs, then 429 before any check; bob is not affected', async () => {
    const alice = await signedIn(ALICE, IP_A);
    const bob = await signedIn(BOB, IP_A);
    const reauthenticate = (cookie: string, body: object, from: string) =>
      request(url).post('/auth/reauthenticate').set('Cookie', cookie).set('X-Forwarded-For', from).send(body);
    for (let n = 1; n <= 5; n++) {
      await reauthenticate(alice, { password: 'wrong' }, ip(n)).expect(403);
    }
    expectTooMany(await reauthenticate(alice, { password: 'wrong' }, ip(6)).expect(429), 60);
    expectTooMany(await reauthenticate(alice, { password: ALICE.password }, IP_A).expect(429), 60);
    expect(app.get(UsersService).checkPassword).toHaveBeenCalledTimes(5);
    await reauthenticate(alice, {}, IP_A).expect(400);
    await reauthenticate(alice, { password: ['x'] }, IP_A).expect(400);
    // Signed out, it is still the 401 of a signed-in route.
    await request(url).post('/auth/reauthenticate').set('X-Forwarded-For', IP_A).send({ password: 'x' }).expect(401);
    await reauthenticate(bob, { password: BOB.password }, IP_A).expect(204);
  });
});
