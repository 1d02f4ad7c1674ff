import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { DataSource, type Repository } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { describeEachPlatform } from './support/platforms.js';
import { QueryCounter, sessionCookie, startTestApp, type TestApp } from './support/test-app.js';
import { digestLegacySessionId, digestSessionKey, generateSessionKey } from '../lib/session/session-key.js';
import { Session, type UserSessionsModuleOptions } from '../lib/index.js';

// The promises of SECURITY.md, a test each (two for the idle timeout). Revocation runs on two
// app instances over one database; the idle timeout and the lifetime let time pass with a
// `Timeline`. Promises other suites prove already are not repeated here.

// The real randomBytes, watched: session keys must come from it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, randomBytes: vi.fn(actual.randomBytes) };
});

/** express-session's own signer (the `cookie-signature` copy it resolves), for its cookies. */
const { sign } = createRequire(createRequire(import.meta.url).resolve('express-session'))('cookie-signature') as {
  sign(value: string, secret: string): string;
};

const ADMIN = 'root';
const ADMIN_OPTIONS: UserSessionsModuleOptions = {
  adminPath: 'admin/sessions',
  isAdmin: ({ userId }) => userId === ADMIN,
};
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

const as = (key: string) => ({ Cookie: `sessionid=${key}` });

/** Signs `userId` in through the app's login route, with a cookie already in the browser or not. */
async function login(app: TestApp, userId: string, plantedKey?: string): Promise<string> {
  const test = request(app.url).post('/login').send({ userId });
  if (plantedKey !== undefined) test.set(as(plantedKey));
  const key = sessionCookie((await test.expect(201)).headers['set-cookie']);
  expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return key!;
}

/** Status of `GET /me` (guarded: 200 signed in, 401 not). */
async function meStatus(app: TestApp, key: string): Promise<number> {
  return (await request(app.url).get('/me').set(as(key))).status;
}

/** The attributes of a Set-Cookie header, lower-cased names → values. */
function cookieAttributes(header: string): Map<string, string> {
  const [, ...attributes] = header.split(';').map((part) => part.trim());
  return new Map(attributes.map((attribute) => {
    const [name, ...value] = attribute.split('=');
    return [name.toLowerCase(), value.join('=')];
  }));
}

function setCookies(response: request.Response): string[] {
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []);
}

/**
 * Time passing for one app's sessions, by moving their stored times back: everything the store
 * decides compares a stored time with "now", or adds an interval to one, so this is the same as
 * moving the clock forward. (Faking `Date` instead breaks TypeORM's SQLite driver, which knows
 * date columns by `type === Date`: a faked global is another function.) Real time runs on too,
 * by milliseconds: a check that a session is still valid keeps a few seconds from the boundary.
 */
class Timeline {
  private now = 0;
  constructor(private readonly sessions: Repository<Session>) {}

  /** Makes it `offset` milliseconds after the timeline started. */
  async at(offset: number): Promise<void> {
    const step = offset - this.now;
    expect(step).toBeGreaterThanOrEqual(0);
    const back = (date: Date) => new Date(date.getTime() - step);
    for (const row of await this.sessions.find()) {
      await this.sessions.update({ id: row.id }, {
        createdAt: back(row.createdAt),
        lastActivity: back(row.lastActivity),
        expireDate: back(row.expireDate),
      });
    }
    this.now = offset;
  }
}

/** The Max-Age of the session cookie a response sets, in seconds. */
function maxAgeOf(response: request.Response): number {
  const header = setCookies(response).find((line) => line.startsWith('sessionid='));
  return Number(cookieAttributes(header ?? '').get('max-age'));
}

/** Everything the Nest logger is asked to write, at every level. */
class NestLogCapture implements LoggerService {
  readonly lines: string[] = [];
  private add(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push([level, message, ...rest].map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 6 }))).join(' '));
  }
  log(message: unknown, ...rest: unknown[]) { this.add('log', message, rest); }
  error(message: unknown, ...rest: unknown[]) { this.add('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]) { this.add('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]) { this.add('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]) { this.add('verbose', message, rest); }
  fatal(message: unknown, ...rest: unknown[]) { this.add('fatal', message, rest); }
}

/** TypeORM's logger as `logging: 'all'` would feed it: every statement with its parameters, and the rest. */
class TypeOrmLogCapture extends QueryCounter {
  readonly lines: string[] = [];
  readonly calls: { query: string; parameters: unknown[] }[] = [];
  override logQuery(query: string, parameters: unknown[] = []): void {
    super.logQuery(query);
    this.calls.push({ query, parameters });
    this.lines.push(`query: ${query} -- ${describeValues(parameters)}`);
  }
  override logQueryError(error?: unknown, query?: string, parameters: unknown[] = []): void {
    this.lines.push(`query failed: ${inspect(error)} ${query} -- ${describeValues(parameters)}`);
  }
  override logQuerySlow(time?: number, query?: string, parameters: unknown[] = []): void {
    this.lines.push(`slow query (${time} ms): ${query} -- ${describeValues(parameters)}`);
  }
  override logSchemaBuild(message?: string): void {
    this.lines.push(`schema: ${message}`);
  }
  override logMigration(message?: string): void {
    this.lines.push(`migration: ${message}`);
  }
  override log(level?: string, message?: unknown): void {
    this.lines.push(`${level}: ${inspect(message)}`);
  }
}

/** Values as text, the way a log line or a dump would show them (Buffers as text and hex). */
function describeValues(values: unknown[]): string {
  return values
    .map((value) => {
      if (value instanceof Date) return value.toISOString();
      if (Buffer.isBuffer(value)) return `${value.toString('latin1')} ${value.toString('hex')}`;
      return typeof value === 'string' ? value : inspect(value);
    })
    .join(' | ');
}

/**
 * Where a key could show up: as it is, in standard base64, in hex (both cases), URL-encoded,
 * and any 12 characters of it (72 bits: a logged prefix is a leak too).
 */
function leakPatterns(key: string): string[] {
  const bytes = Buffer.from(key, 'base64url');
  const windows = Array.from({ length: key.length - 11 }, (_, start) => key.slice(start, start + 12));
  return [bytes.toString('base64'), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), encodeURIComponent(key), ...windows];
}

describeEachDatabase('security promises', (kind) => {
  const nestLog = new NestLogCapture();
  const typeOrmLog = new TypeOrmLogCapture();
  let shared: TestDatabase;
  let idleDatabase: TestDatabase;
  /** Two instances of the app over one database, each with its own DataSource. */
  let a: TestApp;
  let b: TestApp;
  /** idleTimeout 10 minutes (activityInterval 1 minute), maxAge 1 hour. */
  let idle: TestApp;
  let sessions: Repository<Session>;
  let idleSessions: Repository<Session>;

  beforeAll(async () => {
    shared = await createTestDatabase(kind);
    a = await startTestApp(shared, ADMIN_OPTIONS, (nest) => nest.useLogger(nestLog), typeOrmLog);
    b = await startTestApp(shared, ADMIN_OPTIONS, (nest) => nest.useLogger(nestLog));
    idleDatabase = await createTestDatabase(kind);
    idle = await startTestApp(idleDatabase, {
      ...ADMIN_OPTIONS,
      idleTimeout: 10 * MINUTE,
      activityInterval: MINUTE,
      maxAge: 60 * MINUTE,
    }, (nest) => nest.useLogger(nestLog));
    expect(a.app.get(DataSource)).not.toBe(b.app.get(DataSource));
    sessions = a.app.get(DataSource).getRepository(Session);
    idleSessions = idle.app.get(DataSource).getRepository(Session);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await idle?.close();
    await shared?.drop();
    await idleDatabase?.drop();
  });
  beforeEach(async () => {
    await sessions.clear();
    await idleSessions.clear();
  });

  it('a revoked session is refused on the very next request, on every app instance sharing the database', async () => {
    const ways: [string, (key: string) => Promise<void>][] = [
      ['its owner ends it from another session (DELETE /account/sessions/:id)', async (key) => {
        const other = await login(b, 'alice');
        await request(b.url).delete(`/account/sessions/${digestSessionKey(key)}`).set(as(other)).expect(204);
      }],
      ['its owner ends it from itself (DELETE /account/sessions/:id)', async (key) => {
        await request(b.url).delete(`/account/sessions/${digestSessionKey(key)}`).set(as(key)).expect(204);
      }],
      ['its owner ends all other sessions (DELETE /account/sessions)', async () => {
        const other = await login(b, 'alice');
        const response = await request(b.url).delete('/account/sessions').set(as(other)).expect(200);
        expect(response.body).toEqual({ deleted: 1 });
      }],
      ['an administrator ends it (DELETE /admin/sessions/:id)', async (key) => {
        const admin = await login(b, ADMIN);
        await request(b.url).delete(`/admin/sessions/${digestSessionKey(key)}`).set(as(admin)).expect(204);
      }],
      ['an administrator ends all the user’s sessions (DELETE /admin/sessions/users/:userId)', async () => {
        const admin = await login(b, ADMIN);
        await request(b.url).delete('/admin/sessions/users/alice').set(as(admin)).expect(200, { ended: 1 });
      }],
      ['its owner signs out (POST /logout)', async (key) => {
        await request(b.url).post('/logout').set(as(key)).expect(204);
      }],
    ];
    for (const [way, revoke] of ways) {
      await sessions.clear();
      const key = await login(a, 'alice');
      // In use on both instances right before.
      expect({ way, a: await meStatus(a, key), b: await meStatus(b, key) }).toEqual({ way, a: 200, b: 200 });

      await revoke(key);

      expect({ way, a: await meStatus(a, key), b: await meStatus(b, key) }).toEqual({ way, a: 401, b: 401 });
      // A write with the dead key on the other instance starts an anonymous session; it never
      // brings the old row back.
      await request(a.url).post('/data').set(as(key)).send({ name: 'x', value: 1 }).expect(201);
      expect({ way, row: await sessions.findOneBy({ id: digestSessionKey(key) }) }).toEqual({ way, row: null });
      expect({ way, a: await meStatus(a, key) }).toEqual({ way, a: 401 });
    }
  });

  it('a session key is never stored, logged or returned, and sessions are looked up by its SHA-256 digest', async () => {
    nestLog.lines.length = 0;
    typeOrmLog.lines.length = 0;
    typeOrmLog.calls.length = 0;
    const randomBytesCalls = vi.mocked(randomBytes).mock;
    const keys = new Set<string>();
    const responses: request.Response[] = [];
    const rowDumps: string[] = [];
    async function send(test: request.Test): Promise<request.Response> {
      const response = await test;
      responses.push(response);
      const key = sessionCookie(response.headers['set-cookie']);
      if (key) {
        keys.add(key);
        // Issued by the app: 32 bytes the crypto module gave.
        expect(randomBytesCalls.results.some(({ value }) => Buffer.isBuffer(value) && value.length === 32 && value.toString('base64url') === key)).toBe(true);
      }
      rowDumps.push(await dumpRows());
      return response;
    }
    async function dumpRows(): Promise<string> {
      const dataSource = a.app.get(DataSource);
      if (!dataSource.isInitialized) return '';
      const rows: Record<string, unknown>[] = await dataSource.query(`SELECT * FROM ${dataSource.driver.escape('user_sessions')}`);
      return rows.map((row) => describeValues(Object.values(row))).join('\n');
    }
    // The store's primary-key SELECT: `… FROM user_sessions session WHERE session.key_digest = $1`.
    const lookups = () => typeOrmLog.calls.filter(({ query }) => /^SELECT [\s\S]*user_sessions[\s\S]* WHERE \W?session\W?\.\W?key_digest\W? = (\$1|\?)$/.test(query));

    // Anonymous session, then login on it (new key), reads and writes.
    const anonymous = sessionCookie((await send(request(a.url).post('/data').send({ name: 'theme', value: 'dark' }).expect(201))).headers['set-cookie'])!;
    const alice = sessionCookie((await send(request(a.url).post('/login').set(as(anonymous)).send({ userId: 'alice' }).expect(201))).headers['set-cookie'])!;
    await send(request(a.url).get('/me').set(as(anonymous)).expect(401));
    typeOrmLog.calls.length = 0;
    await send(request(a.url).get('/me').set(as(alice)).expect(200));
    // The one lookup of the request is by primary key, with the digest as its only parameter.
    expect(lookups().map(({ parameters }) => parameters)).toEqual([[digestSessionKey(alice)]]);
    await send(request(a.url).post('/data').set(as(alice)).send({ name: 'note', value: 'hello' }).expect(201));
    await send(request(a.url).get('/data/theme').set(as(alice)).expect(200, { value: 'dark' }));
    await send(request(a.url).get('/account/sessions').set(as(alice)).expect(200));
    // Another device; ended from the first.
    const phone = sessionCookie((await send(request(a.url).post('/login').send({ userId: 'alice' }).expect(201))).headers['set-cookie'])!;
    await send(request(a.url).delete(`/account/sessions/${digestSessionKey(phone)}`).set(as(alice)).expect(204));
    // Errors: a key where an id belongs, an unknown id, a junk cookie, a foreign origin, a crash.
    await send(request(a.url).delete(`/account/sessions/${alice}`).set(as(alice)).expect(400));
    await send(request(a.url).delete(`/account/sessions/${'0'.repeat(64)}`).set(as(alice)).expect(404));
    await send(request(a.url).get('/me').set('Cookie', `sessionid=${alice}x`).expect(401));
    await send(request(a.url).post('/data').set(as(alice)).set('Origin', 'https://evil.example').send({ name: 'x', value: 1 }).expect(403));
    await send(request(a.url).post('/data-then-crash').set(as(alice)).expect(500));
    // The admin API, on both instances.
    const admin = sessionCookie((await send(request(a.url).post('/login').send({ userId: ADMIN }).expect(201))).headers['set-cookie'])!;
    await send(request(a.url).get('/admin/sessions?status=all').set(as(admin)).expect(200));
    await send(request(b.url).get('/admin/sessions?userId=alice').set(as(admin)).expect(200));
    const bob = sessionCookie((await send(request(a.url).post('/login').send({ userId: 'bob' }).expect(201))).headers['set-cookie'])!;
    await send(request(a.url).delete(`/admin/sessions/${digestSessionKey(bob)}`).set(as(admin)).expect(204));
    await send(request(a.url).delete('/admin/sessions/users/bob').set(as(admin)).expect(200));
    // The database goes away: 503s, logged.
    const dataSource = a.app.get(DataSource);
    await dataSource.destroy();
    try {
      await send(request(a.url).get('/me').set(as(alice)).expect(503));
      await send(request(a.url).post('/data').set(as(alice)).send({ name: 'x', value: 2 }).expect(503));
      await send(request(a.url).post('/login').set(as(alice)).send({ userId: 'alice' }).expect(503));
    } finally {
      await dataSource.initialize();
    }
    // End the others, then sign out.
    await send(request(a.url).delete('/account/sessions').set(as(alice)).expect(200));
    await send(request(a.url).post('/logout').set(as(alice)).expect(204));
    await send(request(a.url).get('/me').set(as(alice)).expect(401));

    expect(keys.size).toBe(5); // anonymous, alice, phone, admin, bob
    // The captures are live: they hold what was logged, parameters included.
    expect(nestLog.lines.some((line) => line.includes('Session store failure'))).toBe(true);
    expect(nestLog.lines.some((line) => line.includes('Administrator root ended session'))).toBe(true);
    expect(nestLog.lines.some((line) => line.includes('Error: crash'))).toBe(true);
    expect(typeOrmLog.lines.some((line) => /^query: INSERT/.test(line) && line.includes(digestSessionKey(anonymous)))).toBe(true);
    expect(rowDumps.some((dump) => dump.includes(digestSessionKey(alice)))).toBe(true);

    const logLines = [...nestLog.lines, ...typeOrmLog.lines];
    for (const key of keys) {
      const patterns = leakPatterns(key);
      const leaks = (text: string) => patterns.some((pattern) => text.includes(pattern));
      expect(rowDumps.filter(leaks)).toEqual([]);
      expect(logLines.filter(leaks)).toEqual([]);
      for (const response of responses) {
        const where = `${response.status} ${(response as unknown as { req: { method: string; path: string } }).req.method}`;
        expect({ where, leaked: leaks(response.text ?? '') }).toEqual({ where, leaked: false });
        for (const [name, value] of Object.entries(response.headers)) {
          for (const line of ([] as string[]).concat(value as string | string[])) {
            // The one place a key may travel: the Set-Cookie that hands it to its browser.
            if (name === 'set-cookie' && line.startsWith(`sessionid=${key};`)) continue;
            expect({ where, name, leaked: leaks(line) }).toEqual({ where, name, leaked: false });
          }
        }
      }
    }
    // Every lookup by key was by a digest of a key the client held, never by a key.
    const digests = new Set([...keys].map(digestSessionKey));
    for (const { parameters } of lookups()) {
      expect(parameters).toHaveLength(1);
      expect(digests.has(parameters[0] as string)).toBe(true);
    }
  });

  it('login always issues a new key and the key from before it is dead (session fixation)', async () => {
    // An attacker's anonymous session, planted in the victim's browser.
    const planted = sessionCookie((await request(a.url).post('/data').send({ name: 'theme', value: 'evil' }).expect(201)).headers['set-cookie'])!;
    const victim = await login(a, 'alice', planted);
    expect(victim).not.toBe(planted);
    expect(await meStatus(a, planted)).toBe(401);
    expect(await meStatus(b, planted)).toBe(401);
    await request(a.url).get('/data/theme').set(as(planted)).expect(200, { value: null });
    await request(a.url).get('/me').set(as(victim)).expect(200, { userId: 'alice' });

    // The attacker's own signed-in session, planted: the victim gets a new key and none of its data.
    const mallory = sessionCookie((await request(a.url).post('/login').send({ userId: 'mallory' }).expect(201)).headers['set-cookie'])!;
    await request(a.url).post('/data').set(as(mallory)).send({ name: 'theme', value: 'evil' }).expect(201);
    const victimAgain = await login(a, 'alice', mallory);
    expect(victimAgain).not.toBe(mallory);
    expect(await meStatus(a, mallory)).toBe(401);
    await request(a.url).get('/data/theme').set(as(victimAgain)).expect(200, { value: null });

    // A well-formed key the server never issued is not adopted.
    const invented = generateSessionKey();
    const victimThird = await login(a, 'alice', invented);
    expect(victimThird).not.toBe(invented);
    expect(await sessions.findOneBy({ id: digestSessionKey(invented) })).toBeNull();
    expect(await meStatus(a, invented)).toBe(401);

    // Signing in again on a signed-in session cycles the key too.
    const relogin = await login(a, 'alice', victim);
    expect(relogin).not.toBe(victim);
    expect(await meStatus(a, victim)).toBe(401);
    expect(await meStatus(a, relogin)).toBe(200);
  });

  it('a user lists and ends only their own sessions: another user’s session id gets the same 404 as a made-up one (no existence oracle)', async () => {
    const alice = await login(a, 'alice');
    const bob = await login(a, 'bob');
    const bobExpired = await login(a, 'bob');
    const bobEnded = await login(a, 'bob');
    await sessions.update({ id: digestSessionKey(bobExpired) }, { expireDate: new Date(Date.now() - 10 * SECOND) });
    await request(a.url).post('/logout').set(as(bobEnded)).expect(204);
    const ids: Record<string, string> = {
      'another user’s live session': digestSessionKey(bob),
      'another user’s expired session, not cleaned up yet': digestSessionKey(bobExpired),
      'an ended session': digestSessionKey(bobEnded),
      'a made-up id': randomBytes(32).toString('hex'),
    };
    /** What a client can observe of a response: status, body, headers (but the date). */
    const observed = (response: request.Response, id: string) => ({
      status: response.status,
      body: response.text.replaceAll(id, '<id>'),
      headers: Object.fromEntries(
        Object.entries(response.headers)
          // The ETag hashes the body, which names the path on the admin API.
          .filter(([name]) => name !== 'date' && name !== 'etag')
          .map(([name, value]) => [name, String(value)]),
      ),
    });

    const answers = new Map<string, unknown>();
    for (const [what, id] of Object.entries(ids)) {
      const response = await request(a.url).delete(`/account/sessions/${id}`).set(as(alice));
      answers.set(what, { ...observed(response, id), etag: response.headers.etag });
    }
    const madeUp = answers.get('a made-up id') as { status: number; body: string };
    expect(madeUp.status).toBe(404);
    expect(JSON.parse(madeUp.body)).toEqual({ statusCode: 404, error: 'Not Found', message: 'No such session.' });
    for (const [what, answer] of answers) expect({ what, answer }).toEqual({ what, answer: madeUp });

    // The list shows alice's own session only.
    const listed = (await request(a.url).get('/account/sessions').set(as(alice)).expect(200)).body as { id: string }[];
    expect(listed.map((session) => session.id)).toEqual([digestSessionKey(alice)]);

    // The admin API, asked by a non-administrator: a path with no route, whatever the id or user.
    const adminAnswers = new Map<string, unknown>();
    for (const [what, id] of Object.entries(ids)) {
      adminAnswers.set(what, observed(await request(a.url).delete(`/admin/sessions/${id}`).set(as(alice)), id));
    }
    for (const [what, answer] of adminAnswers) {
      expect({ what, answer }).toEqual({ what, answer: adminAnswers.get('a made-up id') });
    }
    const adminMadeUp = adminAnswers.get('a made-up id') as { status: number; body: string };
    expect(adminMadeUp.status).toBe(404);
    expect(JSON.parse(adminMadeUp.body)).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot DELETE /admin/sessions/<id>' });
    for (const [method, path] of [['get', '/admin/sessions?userId='], ['delete', '/admin/sessions/users/']] as const) {
      const real = observed(await request(a.url)[method](`${path}bob`).set(as(alice)), 'bob');
      const unknown = observed(await request(a.url)[method](`${path}zed`).set(as(alice)), 'zed'); // no such user
      expect(real).toEqual(unknown);
      expect(real.status).toBe(404);
    }

    // Nothing of bob's was touched.
    expect(await meStatus(a, bob)).toBe(200);
    expect(await sessions.countBy({ userId: 'bob' })).toBe(2);
  });

  it('an idle timeout ends a session unused for idleTimeout on every path that decides validity, whatever its cookie says', async () => {
    const time = new Timeline(idleSessions);
    const loginResponse = await request(idle.url).post('/login').send({ userId: 'alice' }).expect(201);
    const laptop = sessionCookie(loginResponse.headers['set-cookie'])!;
    // The cookie keeps the absolute lifetime (1 hour); the server enforces the idle timeout.
    expect(maxAgeOf(loginResponse)).toBeGreaterThanOrEqual(3599);
    const phone = await login(idle, 'alice');
    const bob = await login(idle, 'bob');

    await time.at(9 * MINUTE + 55 * SECOND);
    expect(await meStatus(idle, laptop)).toBe(200); // records activity: the idle clock restarts
    const touched = await idleSessions.findOneByOrFail({ id: digestSessionKey(laptop) });
    expect(touched.expireDate.getTime() - touched.lastActivity.getTime()).toBe(10 * MINUTE);

    await time.at(10 * MINUTE);
    const admin = await login(idle, ADMIN);
    // Request path and load(): phone and bob have been idle for 10 minutes.
    expect(await meStatus(idle, phone)).toBe(401);
    expect(await meStatus(idle, bob)).toBe(401);
    expect(await idle.store.load(phone)).toBeNull();
    expect(await idle.store.exists(laptop)).toBe(true);
    // The user's list, and the admin list's status and validity.
    const listed = (await request(idle.url).get('/account/sessions').set(as(laptop)).expect(200)).body as { id: string }[];
    expect(listed.map((session) => session.id)).toEqual([digestSessionKey(laptop)]);
    const active = (await request(idle.url).get('/admin/sessions').set(as(admin)).expect(200)).body.sessions as { id: string; valid: boolean }[];
    expect(active.map((session) => session.id).sort()).toEqual([digestSessionKey(admin), digestSessionKey(laptop)].sort());
    const expired = (await request(idle.url).get('/admin/sessions?status=expired').set(as(admin)).expect(200)).body.sessions as { id: string; valid: boolean }[];
    expect(expired.map((session) => [session.id, session.valid]).sort()).toEqual(
      [[digestSessionKey(phone), false], [digestSessionKey(bob), false]].sort(),
    );
    // "End all others" has no live other session to end; the cleanup deletes the idle ones.
    await request(idle.url).delete('/account/sessions').set(as(laptop)).expect(200, { deleted: 0 });
    expect(await idle.store.clearExpired()).toBe(2);
    expect(await idleSessions.count()).toBe(2);

    // Activity is recorded once per activityInterval: the idle clock runs from the last record.
    await time.at(10 * MINUTE + 25 * SECOND);
    idle.queries.reset();
    expect(await meStatus(idle, laptop)).toBe(200); // 30 s after the last record: no write
    expect(idle.queries.sessionStatements().filter((statement) => /^UPDATE/i.test(statement))).toEqual([]);
    await time.at(19 * MINUTE + 50 * SECOND);
    expect(await meStatus(idle, laptop)).toBe(200); // records activity
    await time.at(29 * MINUTE + 45 * SECOND);
    expect(await meStatus(idle, laptop)).toBe(200); // records activity
    await time.at(30 * MINUTE + 15 * SECOND);
    expect(await meStatus(idle, laptop)).toBe(200); // no write
    await time.at(39 * MINUTE + 45 * SECOND);
    // 9 minutes 30 seconds after its last request, 10 minutes after its last recorded activity.
    expect(await meStatus(idle, laptop)).toBe(401);
    expect(await idle.store.load(laptop)).toBeNull();

    // A row written before idleTimeout was turned on (its expiry far off) is judged by its last activity.
    const old = await login(idle, 'carol');
    await idleSessions.update({ id: digestSessionKey(old) }, {
      expireDate: new Date(Date.now() + 20 * MINUTE),
      lastActivity: new Date(Date.now() - 11 * MINUTE),
    });
    expect(await meStatus(idle, old)).toBe(401);
    const oldView = (await request(idle.url).get('/admin/sessions?userId=carol').set(as(await login(idle, ADMIN))).expect(200)).body.sessions as { valid: boolean }[];
    expect(oldView.map((session) => session.valid)).toEqual([false]);

    // With the expiry moved by the store, setExpiry() would be silently undone: it refuses.
    const session = await idle.store.create({ userId: 'dave' });
    expect(() => session.setExpiry(5 * MINUTE)).toThrow(/not available with the idleTimeout option/);
  });

  it('the idle timeout also holds for sessions imported from express-session, idle since the import', async () => {
    const moving = await startTestApp(idleDatabase, {
      idleTimeout: 10 * MINUTE,
      activityInterval: MINUTE,
      maxAge: 60 * MINUTE,
      legacyCookie: { secret: 'old-app-secret' },
    }, (nest) => nest.useLogger(nestLog));
    try {
      /** A row as importExpressSessions() writes it, imported `ago` ms ago, with a far expiry. */
      const imported = async (sid: string, ago: number) => {
        const importedAt = new Date(Date.now() - ago);
        await idleSessions.insert({
          keyDigest: digestLegacySessionId(sid), id: digestLegacySessionId(sid), keyIssuedAt: importedAt,
          data: '{}', userId: 'erin', expireDate: new Date(Date.now() + 50 * MINUTE),
          ip: null, userAgent: null, clientPlatform: null, clientPlatformVersion: null, lastActivity: importedAt, createdAt: importedAt,
        });
        return { Cookie: `connect.sid=${encodeURIComponent(`s:${sign(sid, 'old-app-secret')}`)}` };
      };
      const stale = await imported('stale-old-session', 11 * MINUTE);
      const fresh = await imported('fresh-old-session', 5 * MINUTE);

      await request(moving.url).get('/me').set(stale).expect(401);
      expect(await idleSessions.findOneBy({ id: digestLegacySessionId('stale-old-session') })).not.toBeNull(); // not moved over

      const movedOver = await request(moving.url).get('/me').set(fresh).expect(200, { userId: 'erin' });
      const key = sessionCookie(movedOver.headers['set-cookie'])!;
      const row = await idleSessions.findOneByOrFail({ keyDigest: digestSessionKey(key) });
      // The move-over is activity: the idle clock restarts, and the expiry with it.
      expect(row.expireDate.getTime() - row.lastActivity.getTime()).toBe(10 * MINUTE);
    } finally {
      await moving.close();
    }
  });

  it('maxAge is an absolute lifetime counted from login: continuous activity never extends it, with or without idleTimeout', async () => {
    // Default options (14 days, no idle timeout). An anonymous session signed in a day later:
    // the lifetime counts from the login.
    const time = new Timeline(sessions);
    const anonymous = sessionCookie((await request(a.url).post('/data').send({ name: 'cart', value: [1] }).expect(201)).headers['set-cookie'])!;
    await time.at(DAY);
    const loginResponse = await request(a.url).post('/login').set(as(anonymous)).send({ userId: 'alice' }).expect(201);
    const key = sessionCookie(loginResponse.headers['set-cookie'])!;
    expect(maxAgeOf(loginResponse)).toBeGreaterThanOrEqual(14 * DAY / SECOND - 1);
    const row = await sessions.findOneByOrFail({ id: digestSessionKey(key) });
    expect(Math.abs(row.createdAt.getTime() - Date.now())).toBeLessThan(5 * SECOND);
    for (let day = 2; day <= 14; day += 1) {
      await time.at(day * DAY);
      expect({ day, status: await meStatus(a, key) }).toEqual({ day, status: 200 }); // records activity
    }
    await time.at(15 * DAY - 5 * SECOND);
    expect(await meStatus(a, key)).toBe(200);
    await time.at(15 * DAY);
    // The client still sends the cookie; the server refuses it.
    expect(await meStatus(a, key)).toBe(401);
    expect(await a.store.load(key)).toBeNull();

    // idleTimeout 10 minutes, maxAge 1 hour: a request every 5 minutes keeps it for the hour only.
    const idleTime = new Timeline(idleSessions);
    const busy = await login(idle, 'alice');
    for (let minute = 5; minute < 60; minute += 5) {
      await idleTime.at(minute * MINUTE);
      expect({ minute, status: await meStatus(idle, busy) }).toEqual({ minute, status: 200 });
    }
    await idleTime.at(60 * MINUTE - 5 * SECOND);
    expect(await meStatus(idle, busy)).toBe(200);
    await idleTime.at(60 * MINUTE);
    expect(await meStatus(idle, busy)).toBe(401);
    expect(await idle.store.listActive('alice')).toEqual([]);
  });
});

describeEachPlatform('security promises at the HTTP layer (on SQLite)', (platform) => {
  let database: TestDatabase;
  /** Behind a trusted proxy on loopback (`trust proxy`), and without one. */
  let proxied: TestApp;
  let direct: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    proxied = await startTestApp(database, {}, { platform, trustProxy: 'loopback' });
    direct = await startTestApp(database, {}, { platform });
  });
  afterAll(async () => {
    await proxied?.close();
    await direct?.close();
    await database?.drop();
  });

  it('a state-changing request from a foreign origin is refused with 403 before any route, and changes nothing', async () => {
    const app = direct;
    const own = new URL(app.url);
    const alice = await login(app, 'alice');
    const other = await login(app, 'alice');
    await request(app.url).post('/data').set(as(alice)).send({ name: 'theme', value: 'light' }).expect(201);
    const sessions = app.app.get(DataSource).getRepository(Session);
    const rows = await sessions.count();

    const foreign: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      { Referer: 'https://evil.example/form.html' }, // no Origin: the Referer decides
      { Origin: 'null' }, // sandboxed or privacy-stripped: the source cannot be told
      { Origin: `http://${own.hostname}:${Number(own.port) + 1}` }, // same host, another port
      { Origin: `http://localhost:${own.port}` }, // another host name
      { Origin: 'https://evil.example', Referer: `${app.url}/page` }, // Origin wins over Referer
    ];
    const attempts: [method: 'post' | 'put' | 'patch' | 'delete', path: string, body?: object][] = [
      ['post', '/data', { name: 'theme', value: 'evil' }],
      ['post', '/login', { userId: 'mallory' }],
      ['put', '/data', { name: 'theme', value: 'evil' }],
      ['patch', '/data', { name: 'theme', value: 'evil' }],
      ['delete', `/account/sessions/${digestSessionKey(other)}`],
      ['delete', '/account/sessions'],
    ];
    for (const headers of foreign) {
      for (const [method, path, body] of attempts) {
        const test = request(app.url)[method](path).set(as(alice)).set(headers);
        const response = await (body === undefined ? test : test.send(body));
        expect({ headers, method, path, status: response.status, body: response.body }).toEqual({
          headers, method, path, status: 403, body: { statusCode: 403, message: 'Cross-origin request refused.', error: 'Forbidden' },
        });
        expect(response.headers['set-cookie']).toBeUndefined();
      }
    }
    await request(app.url).get('/data/theme').set(as(alice)).expect(200, { value: 'light' });
    expect(await meStatus(app, other)).toBe(200);
    expect(await sessions.count()).toBe(rows);

    // Safe methods pass; same-origin writes pass (PUT reaches routing: 404, not 403).
    await request(app.url).get('/data/theme').set(as(alice)).set('Origin', 'https://evil.example').expect(200);
    await request(app.url).post('/data').set(as(alice)).set('Origin', app.url).send({ name: 'theme', value: 'dark' }).expect(201);
    await request(app.url).put('/data').set(as(alice)).set('Origin', app.url).send({}).expect(404);
    await request(app.url).get('/data/theme').set(as(alice)).expect(200, { value: 'dark' });
  });

  it('behind a trusted proxy, the origin is the one the proxy names in X-Forwarded-Host and -Proto', async () => {
    const internal = new URL(proxied.url).host;
    const behindProxy = { 'X-Forwarded-Host': 'shop.example', 'X-Forwarded-Proto': 'https' };
    const post = (app: TestApp, headers: Record<string, string>) =>
      request(app.url).post('/data').set(headers).send({ name: 'theme', value: 'dark' });

    for (const origin of ['https://shop.example', 'https://shop.example:443', 'https://SHOP.example']) {
      await post(proxied, { ...behindProxy, Origin: origin }).expect(201);
    }
    // With a port of its own, the public origin keeps it.
    await post(proxied, { 'X-Forwarded-Host': 'shop.example:8443', 'X-Forwarded-Proto': 'https', Origin: 'https://shop.example:8443' }).expect(201);
    for (const origin of ['http://shop.example', 'https://shop.example:8443', `http://${internal}`, 'https://evil.example']) {
      await post(proxied, { ...behindProxy, Origin: origin }).expect(403);
    }
    // The client's own X-Forwarded-Host counts for nothing where no proxy is trusted.
    await post(direct, { ...behindProxy, Origin: 'https://shop.example' }).expect(403);
    await post(direct, { ...behindProxy, Origin: direct.url }).expect(201);
  });

  it('session cookies carry HttpOnly and SameSite=Lax, and Secure exactly when the request came over HTTPS', async () => {
    /** Every session Set-Cookie of a session's life: created, signed in, signed out. */
    async function cookiesOf(app: TestApp, headers: Record<string, string>): Promise<string[]> {
      const created = await request(app.url).post('/data').set(headers).send({ name: 'a', value: 1 }).expect(201);
      const key = sessionCookie(created.headers['set-cookie'])!;
      const signedIn = await request(app.url).post('/login').set(headers).set(as(key)).send({ userId: 'alice' }).expect(201);
      const signedOut = await request(app.url).post('/logout').set(headers).set(as(sessionCookie(signedIn.headers['set-cookie'])!)).expect(204);
      const all = [created, signedIn, signedOut].flatMap(setCookies).filter((header) => header.startsWith('sessionid='));
      expect(all).toHaveLength(3);
      return all;
    }
    const flags = (header: string) => {
      const attributes = cookieAttributes(header);
      return { httpOnly: attributes.has('httponly'), sameSite: attributes.get('samesite'), secure: attributes.has('secure') };
    };

    // HTTPS as the app sees it through its trusted proxy.
    for (const header of await cookiesOf(proxied, { 'X-Forwarded-Proto': 'https' })) {
      expect({ header, ...flags(header) }).toEqual({ header, httpOnly: true, sameSite: 'Lax', secure: true });
    }
    // Plain HTTP; and a client's own X-Forwarded-Proto where no proxy is trusted.
    for (const header of [...(await cookiesOf(proxied, {})), ...(await cookiesOf(direct, { 'X-Forwarded-Proto': 'https' }))]) {
      expect({ header, ...flags(header) }).toEqual({ header, httpOnly: true, sameSite: 'Lax', secure: false });
    }
  });

  it('session keys are 256 random bits from crypto.randomBytes: 10,000 keys are distinct, 43 base64url characters, with unbiased bits', () => {
    const calls = vi.mocked(randomBytes).mock;
    vi.mocked(randomBytes).mockClear();
    const count = 10_000;
    const keys = Array.from({ length: count }, generateSessionKey);

    expect(calls.calls).toHaveLength(count);
    expect(calls.calls.every((args) => (args as unknown[]).length === 1 && args[0] === 32)).toBe(true);
    expect(keys.every((key, index) => (calls.results[index].value as Buffer).toString('base64url') === key)).toBe(true);
    expect(new Set(keys).size).toBe(count);
    expect(keys.every((key) => /^[A-Za-z0-9_-]{43}$/.test(key) && Buffer.from(key, 'base64url').length === 32)).toBe(true);

    // Each of the 256 bits is set in about half the keys: mean 5000, standard deviation 50;
    // 6 deviations either way fails a biased or stuck bit, and a fair source about once in 2 million runs.
    const ones = new Array<number>(256).fill(0);
    for (const key of keys) {
      const bytes = Buffer.from(key, 'base64url');
      for (let bit = 0; bit < 256; bit += 1) ones[bit] += (bytes[bit >> 3] >> (bit & 7)) & 1;
    }
    const outside = ones.map((n, bit) => [bit, n]).filter(([, n]) => n < count / 2 - 300 || n > count / 2 + 300);
    expect(outside).toEqual([]);
    // Every character of the alphabet shows up.
    expect(new Set(keys.join('')).size).toBe(64);
  });
});
