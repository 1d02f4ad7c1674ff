import { readdirSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseMatrix, type DatabaseKind, type TestDatabase } from './support/databases.js';
import { showRequest as show, type RawRequest, type RawResponse } from './support/raw-http.js';
import * as hostile from './support/hostile-input.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import { Session } from '../lib/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { createSampleApp, type Platform } from '../sample-app/platform.js';
import { PUBLIC_DIR } from '../sample-app/pages/public-files.js';

/**
 * Hostile input (issue 6) against the sample app: what an app built the documented way — a
 * global ValidationPipe, a login DTO, numeric user ids with a foreign key — answers to login
 * bodies of the wrong types and to junk headers on its pages. A separate file from
 * hostile-input.e2e-spec.ts: the sample app shapes the Session entity (numeric user ids),
 * the test app another way.
 */

/** What each route answers, from its code and documentation. */
const ROUTES = {
  /**
   * Signed in; junk body; wrong username or password (one answer); foreign origin; over 100 kB;
   * unreadable charset or encoding. Not the 429 of too many attempts: this suite runs with
   * FAST_SIGN_INS's limits (×100), which its few dozen well-formed attempts never reach.
   */
  'POST /auth/login': [200, 400, 401, 403, 413, 415],
  'GET /auth/me': [200, 401],
  /** The page (HTML, to anyone) or the list (JSON, signed in); 401 for the list signed out. */
  'GET /account/sessions': [200, 401],
  'GET /': [200],
  /** A file that was in public/ at start-up, or 404. */
  'GET /assets/:name': [200, 404],
  /** The admin API: 404 to everyone but administrators. */
  'GET /admin/sessions': [200, 404],
} as const satisfies Record<string, readonly number[]>;
type Route = keyof typeof ROUTES;
/** Node's HTTP parser: malformed request (400), headers over 16 KiB (431). */
const PARSER = [400, 431];
/** Fastify's router answers 414 to a path parameter longer than its `maxParamLength` (100) before any route runs. */
const FASTIFY_MAX_PARAM_LENGTH = 100;

const RUNS = { loginBodies: 500, pages: 500 };
const PROPERTY_TIMEOUT = 120_000;
const ALICE = { username: 'alice', password: 'alice-password' };
const BOB = { username: 'bob', password: 'bob-password' };

for (const entry of databaseMatrix().filter(({ kind }) => kind !== 'mariadb')) {
  const title = `hostile input to the sample app on ${entry.label}${entry.skip === null ? '' : ` (skipped: ${entry.skip})`}`;
  describe.skipIf(entry.skip !== null)(title, () => sampleAppSuite(entry.kind, entry.label, 'express'));
}
// Fastify parses (and refuses) bodies and headers its own way: once, on SQLite.
describe('hostile input to the sample app on SQLite, Fastify', () => sampleAppSuite('sqlite', 'SQLite, Fastify', 'fastify'));

function sampleAppSuite(kind: DatabaseKind, label: string, platform: Platform): void {
  const logged = new hostile.ErrorRecorder();
  const unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown) => unhandled.push(reason);
  let database: TestDatabase;
  let app: INestApplication;
  let client: hostile.HostileClient;
  let keys: Record<'alice' | 'bob', string>;
  let baselineRows: string;
  const send = (property: string, request: RawRequest, allowed: readonly number[]) => client.send(property, request, allowed);
  const statuses = (route: Route, ...only: number[]) => [...new Set([...(only.length > 0 ? only : ROUTES[route]), ...PARSER])];
  const cookie = (who: 'alice' | 'bob'): [string, string] => ['Cookie', `sessionid=${keys[who]}`];

  beforeAll(async () => {
    process.on('unhandledRejection', recordUnhandled);
    process.on('uncaughtException', recordUnhandled);
    database = await createTestDatabase(kind);
    app = await createSampleApp(AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, FAST_SIGN_INS), platform, 'loopback', {
      logger: ['error'],
      abortOnError: false,
    });
    app.useLogger(logged);
    await app.listen(0, '127.0.0.1');
    const port = Number(new URL(await app.getUrl()).port);
    client = new hostile.HostileClient(port, () => (keys ? Object.values(keys) : []));
    keys = { alice: await signIn(ALICE), bob: await signIn(BOB) };
    baselineRows = await rowsNow();
  });

  // Each property answers for what happened during its own requests.
  beforeEach(() => {
    logged.errors.length = 0;
    unhandled.length = 0;
  });

  afterAll(async () => {
    process.off('unhandledRejection', recordUnhandled);
    process.off('uncaughtException', recordUnhandled);
    if (client) console.log(`hostile input to the sample app on ${label}: ${client.summary()}`);
    await app?.close();
    await database?.drop();
  });

  async function signIn(credentials: { username: string; password: string }): Promise<string> {
    const response = await send('setup', { method: 'POST', target: '/auth/login', headers: [['Content-Type', 'application/json']], body: JSON.stringify(credentials) }, [200]);
    return /sessionid=([A-Za-z0-9_-]{43});/.exec(response.headers['set-cookie'])![1];
  }

  async function rowsNow(): Promise<string> {
    const rows = await app.get(DataSource).getRepository(Session).find({ select: { id: true, userId: true } });
    return rows.map((row) => `${row.id} ${row.userId}`).sort().join('\n');
  }

  async function expectRowsUnchanged(request: RawRequest): Promise<void> {
    const rows = await rowsNow();
    if (rows !== baselineRows) throw new Error(`the session rows changed:\n${rows}\nwere:\n${baselineRows}\n${show(request)}`);
  }

  async function expectHealthy(): Promise<void> {
    expect(unhandled).toEqual([]);
    expect(logged.errors).toEqual([]);
    const me = await send('health', { method: 'GET', target: '/auth/me', headers: [cookie('alice')] }, [200]);
    expect(JSON.parse(me.body)).toMatchObject({ username: 'alice' });
    const list = await send('health', { method: 'GET', target: '/account/sessions', headers: [cookie('bob'), ['Accept', 'application/json']] }, [200]);
    expect(JSON.parse(list.body)).toHaveLength(1);
  }

  it('login bodies of the wrong types, malformed, nested deep or oversized: a 4xx (401 only for strings that are no account), no row, no cookie', async () => {
    // What LoginDto takes: a non-empty string of at most `max` characters (any Unicode, NUL too).
    const valid = (max: number) => fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: max }), hostile.anyText(max).filter((text) => text.length > 0));
    const username = valid(64);
    const controlCharacter = /\p{Cc}/u;
    const wrong = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.array(hostile.jsonValue, { maxLength: 3 }),
      fc.dictionary(fc.string(), hostile.jsonValue, { maxKeys: 3 }),
      fc.constant(''),
      fc.integer({ min: 257, max: 5000 }).map((length) => 'p'.repeat(length)),
    );
    const fields = fc.record({ username: fc.oneof(wrong, valid(64)), password: fc.oneof(wrong, valid(256)) }, { requiredKeys: [] });
    const body = fc.oneof(
      // At least one field missing or of the wrong type: the ValidationPipe's 400.
      { weight: 6, arbitrary: fields.filter((f) => !(typeof f.username === 'string' && f.username.length > 0 && typeof f.password === 'string' && f.password.length > 0)).map((f) => ({ text: JSON.stringify(f), expected: [400] })) },
      // Strings that fit but are no account: the one 401 (few: each costs a scrypt check). A
      // username with a control character is no username (400): PostgreSQL cannot even look up NUL.
      {
        weight: 1,
        arbitrary: fc
          .record({ username: fc.oneof(username, username.map((name) => `${name}\u0000`)), password: valid(256) })
          .filter((f) => f.password !== ALICE.password && f.password !== BOB.password)
          .map((f) => ({ text: JSON.stringify(f), expected: controlCharacter.test(f.username) ? [400] : [401] })),
      },
      // Deeper than the app's JSON depth limit, in a checked field or in one the DTO does not have.
      { weight: 1, arbitrary: fc.integer({ min: 33, max: 49_000 }).map((depth) => ({ text: `{"username":${hostile.nested(depth, '"alice"')},"password":"alice-password"}`, expected: [400] })) },
      { weight: 1, arbitrary: fc.integer({ min: 33, max: 49_000 }).map((depth) => ({ text: `{"username":"alice","password":"alice-password","extra":${hostile.nested(depth)}}`, expected: [400] })) },
      { weight: 2, arbitrary: hostile.malformedJson.map((text) => ({ text, expected: [400] })) },
      { weight: 1, arbitrary: fc.integer({ min: 102_500, max: 250_000 }).map((length) => ({ text: JSON.stringify({ username: 'alice', password: 'p'.repeat(length) }), expected: [413] })) },
    );
    const contentType = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'application/json; charset=junk', 'multipart/form-data; boundary=x', '') },
    );
    const requests = fc.record({ body, contentType, asAlice: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(requests, async ({ body: { text, expected }, contentType, asAlice }) => {
        const headers: [string, string][] = [['Content-Type', contentType]];
        if (asAlice) headers.push(cookie('alice'));
        const request: RawRequest = { method: 'POST', target: '/auth/login', headers, body: text };
        // Not JSON as body-parser reads it: no fields (400), or a charset it cannot read (415).
        // Fastify's JSON parser reads any charset as UTF-8 (these bodies are ASCII or UTF-8).
        const json = platform === 'fastify' ? /^application\/json(;|$)/i.test(contentType) : /^application\/json(; charset=utf-8)?$/i.test(contentType);
        const response = await send('login bodies', request, statuses('POST /auth/login', ...(json ? expected : [400, 413, 415])));
        if (response.headers['set-cookie'] !== undefined) throw new Error(`a refused login set a cookie\n${show(request)}`);
        await expectRowsUnchanged(request);
      }),
      { numRuns: RUNS.loginBodies },
    );
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('pages, assets and APIs with junk Accept, user agents, X-Forwarded-For and cookies: what the route documents for who is signed in', async () => {
    const assets = readdirSync(PUBLIC_DIR).filter((name) => !name.endsWith('.html'));
    const accept = fc.oneof(
      fc.constantFrom('text/html', 'application/json', '*/*', 'text/html;q=0.9, application/json;q=0.9', 'text/*', 'application/*;q=0', ';;;', 'text/html;q=abc', 'text/html, application/json;q=1.1', ''),
      hostile.anyText(60).map((text) => Buffer.from(text)),
      hostile.rawBytes(40),
    );
    const requests = fc.record({
      route: fc.constantFrom<Route>('GET /account/sessions', 'GET /auth/me', 'GET /', 'GET /assets/:name', 'GET /admin/sessions'),
      who: fc.constantFrom<'alice' | 'bob' | null>('alice', 'bob', null),
      junkCookies: fc.option(hostile.cookieHeaders([], [])),
      asset: fc.oneof(fc.constantFrom(...assets), hostile.idValue(['index.html', 'sessions.html', '../app.module.ts', '..%2Fapp.module.ts', '.', '%2e%2e'])),
      raw: fc.boolean(),
      accept: fc.option(accept),
      userAgent: fc.option(hostile.userAgent),
      forwardedFor: fc.option(hostile.forwardedFor),
    });
    await fc.assert(
      fc.asyncProperty(requests, async ({ route, who, junkCookies, asset, raw, accept, userAgent, forwardedFor }) => {
        // The live key first: of several sessionid cookies, the first well-formed one counts.
        const headers: [string, string | Buffer][] = who ? [cookie(who)] : [];
        for (const value of junkCookies ?? []) headers.push(['Cookie', value]);
        if (accept) headers.push(['Accept', accept]);
        if (userAgent) headers.push(['User-Agent', userAgent]);
        if (forwardedFor) headers.push(['X-Forwarded-For', forwardedFor]);
        const segment = hostile.pathSegment(asset, raw);
        const target = route === 'GET /assets/:name' ? `/assets/${segment}` : route.slice(4);
        const request: RawRequest = { method: 'GET', target, headers };
        // Cookies over 8 KiB in all are not read at all (lib/http/cookies.ts): the key is lost among them.
        const cookieBytes = (junkCookies ?? []).reduce((total, value) => total + value.length + 2, 60);
        const signedIn = who !== null && cookieBytes < 8192;
        const expected: Record<Route, number[]> = {
          'GET /account/sessions': signedIn ? [200] : [200, 401],
          'GET /auth/me': signedIn ? [200] : who === null ? [401] : [200, 401],
          'GET /': [200],
          'GET /assets/:name': [
            ...(raw ? [200, 400, 404] : assets.includes(asset) ? [200] : [404]),
            ...(platform === 'fastify' && segment.length > FASTIFY_MAX_PARAM_LENGTH ? [414] : []),
          ],
          'GET /admin/sessions': who === 'alice' && signedIn ? [200] : who === 'alice' ? [200, 404] : [404],
          'POST /auth/login': [],
        };
        const response: RawResponse = await send('pages', request, statuses(route, ...expected[route]));
        if (route === 'GET /account/sessions' && response.status === 200 && who === null && !/^text\/html/.test(response.headers['content-type'] ?? '')) {
          throw new Error(`an anonymous request got the sessions list\n${show(request)}`);
        }
        await expectRowsUnchanged(request);
      }),
      { numRuns: RUNS.pages },
    );
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('found: a username with NUL is a 400, not the 500 of a lookup PostgreSQL refuses', async () => {
    const request: RawRequest = { method: 'POST', target: '/auth/login', headers: [['Content-Type', 'application/json']], body: '{"username":"alice\\u0000","password":"x"}' };
    const response = await send('found', request, [400]);
    expect(JSON.parse(response.body)).toMatchObject({ message: ['username must not contain control characters'] });
    await expectHealthy();
  });

  it('found: a login body nested 2,000 deep is a 400, not the ValidationPipe’s stack overflow (500)', async () => {
    const request: RawRequest = {
      method: 'POST',
      target: '/auth/login',
      headers: [['Content-Type', 'application/json']],
      body: `{"username":${hostile.nested(2000, '"alice"')},"password":"alice-password"}`,
    };
    const response = await send('found', request, [400]);
    expect(JSON.parse(response.body)).toMatchObject({ message: 'The JSON body is nested deeper than 32 levels.' });
    await expectHealthy();
  });
}
