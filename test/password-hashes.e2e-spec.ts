import type { INestApplication } from '@nestjs/common';
import { randomBytes, scryptSync } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachPlatform } from './support/platforms.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import { AppModule } from '../sample-app/app.module.js';
import { createSampleApp } from '../sample-app/platform.js';
import { User } from '../sample-app/users/user.entity.js';

const ALICE = { username: 'alice', password: 'alice-password' };
const INVALID = { statusCode: 401, error: 'Unauthorized', message: 'Invalid username or password.' };
/** What the sample app stores, at OWASP's cost: `scrypt$N=131072,r=8,p=1$<16 bytes>$<64 bytes>` in base64. */
const OWASP_HASH = /^scrypt\$N=131072,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/;

/** A hash of the first format, as the sample app stored them before issue 16: Node's default scrypt (N=2^14), no cost named. */
function firstFormatHash(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 64).toString('hex')}`;
}

// Issue 16: the sample app's password hashes at their real cost (N=2^17, about 0.1 to 0.7 s
// a hash), which no other suite pays. The limits are the suites' (FAST_SIGN_INS): alice signs
// in more often here than the real ones allow. The hash is a column like any other: SQLite is enough.
describeEachPlatform('password hashes in the sample app on SQLite', (platform) => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await createSampleApp(
      AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, { signInLimits: FAST_SIGN_INS.signInLimits }),
      platform,
      undefined,
      { logger: ['error'], abortOnError: false },
    );
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const users = () => app.get(DataSource).getRepository(User);
  const storedHash = async (username: string) => (await users().findOneByOrFail({ username })).passwordHash;
  const login = (body: object) => request(url).post('/auth/login').send(body);

  it("new hashes carry their cost: the demo users are seeded at OWASP's N=2^17, r=8, p=1, and sign in", async () => {
    expect(await storedHash('alice')).toMatch(OWASP_HASH);
    expect(await storedHash('bob')).toMatch(OWASP_HASH);
    expect(await storedHash('alice')).not.toBe(await storedHash('bob'));
    await login(ALICE).expect(200);
  });

  it('a hash of the first format (N=2^14) still signs in, and is made again at N=2^17 by that sign-in; a wrong password changes nothing', async () => {
    const old = firstFormatHash(ALICE.password);
    await users().update({ username: 'alice' }, { passwordHash: old });

    await login({ ...ALICE, password: 'bob-password' }).expect(401, INVALID);
    expect(await storedHash('alice')).toBe(old);

    const cookie = /sessionid=[^;]+/.exec(String((await login(ALICE).expect(200)).headers['set-cookie']))![0];
    const upgraded = await storedHash('alice');
    expect(upgraded).toMatch(OWASP_HASH);
    await login(ALICE).expect(200);
    expect(await storedHash('alice')).toBe(upgraded);

    // Re-authentication upgrades too.
    await users().update({ username: 'alice' }, { passwordHash: firstFormatHash(ALICE.password) });
    await request(url).post('/auth/reauthenticate').set('Cookie', cookie).send({ password: ALICE.password }).expect(204);
    expect(await storedHash('alice')).toMatch(OWASP_HASH);
  });

  it('a tampered or garbled stored hash is the 401 of a wrong password, not a 500', async () => {
    const good = await storedHash('alice');
    const [, , salt, key] = good.split('$');
    const tampered = [
      'garbled',
      '',
      `scrypt$N=131072,r=8,p=1$${salt}$${key.slice(0, 30)}`,
      `scrypt$N=131072,r=8,p=1$${salt}$${key.replace(/==$/, '!!')}`,
      // A cost scrypt refuses, and one far above ours: refused, not run for minutes.
      good.replace('N=131072', 'N=131071'),
      good.replace('N=131072', 'N=1073741824'),
      good.replace('p=1', 'p=64'),
    ];
    try {
      for (const passwordHash of tampered) {
        await users().update({ username: 'alice' }, { passwordHash });
        await login(ALICE).expect(401, INVALID);
      }
    } finally {
      await users().update({ username: 'alice' }, { passwordHash: good });
    }
    await login(ALICE).expect(200);
  });
});
