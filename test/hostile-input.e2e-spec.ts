import { isIP } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { databaseMatrix, type DatabaseKind } from './support/databases.js';
import type { TestPlatform } from './support/platforms.js';
import { useTestApp } from './support/test-app.js';
import { encodeRequest, sendRaw, showRequest as show, type RawRequest, type RawResponse } from './support/raw-http.js';
import * as hostile from './support/hostile-input.js';
import { digestSessionKey } from '../lib/session/session-key.js';
import type { Session } from '../lib/index.js';

/**
 * Property-based hostile input (issue 6): thousands of generated requests against the test app
 * with the sessions API and the admin API, written byte by byte on a socket (raw-http.ts), so
 * that what HTTP client libraries refuse to send is sent too. Every answer must be one that
 * its route documents (ROUTES below) — never a 5xx, never an unhandled rejection or a logged
 * error — and junk never creates, ends or takes over a session. fast-check shrinks a failing
 * input and prints it with the seed that replays it.
 */

/**
 * What each route answers, from its code and documentation. Whatever the input, a response
 * outside its route's set fails the property.
 */
const ROUTES = {
  'GET /public': [200],
  /** Signed in, or not. */
  'GET /me': [200, 401],
  'GET /data/:name': [200],
  /** Stored; junk body; foreign origin; body over body-parser's 100 kB; charset or encoding it cannot read. */
  'POST /data': [201, 400, 403, 413, 415],
  'POST /login': [201, 400, 403, 413, 415],
  /** Signed out (or was not signed in); foreign origin. */
  'POST /logout': [204, 403],
  'GET /account/sessions': [200, 401],
  'DELETE /account/sessions': [200, 401, 403],
  /** Ended; malformed id; not signed in; foreign origin; unknown or another user's session (one answer for both). */
  'DELETE /account/sessions/:id': [204, 400, 401, 403, 404],
  /** A page; junk query; not an administrator (the 404 of a path with no route). */
  'GET /admin/sessions': [200, 400, 404],
  'DELETE /admin/sessions/:id': [204, 400, 403, 404],
  'DELETE /admin/sessions/users/:userId': [200, 400, 403, 404],
  /** No such route, or a foreign origin refused before routing. */
  'no route': [403, 404],
} as const satisfies Record<string, readonly number[]>;
type Route = keyof typeof ROUTES;

/**
 * Node's HTTP parser answers before the app: a malformed request line or header (400:
 * control bytes, a junk method, no Host) or headers over its 16 KiB (431).
 */
const PARSER = [400, 431] as const;

/**
 * Fastify's router answers 414 to a path parameter longer than its `maxParamLength` (100
 * characters of the path as it reads it) before any route runs.
 */
const FASTIFY_MAX_PARAM_LENGTH = 100;

/**
 * Express's own answer to a read whose If-None-Match names the answer's ETag (`*` names any):
 * allowed only where a property sends If-None-Match.
 */
const NOT_MODIFIED = 304;

/**
 * Whether Fastify's JSON parser (secure-json-parse, `onProtoPoisoning` and
 * `onConstructorPoisoning` both 'error' by default) refuses this body with 400 before any
 * route runs: a `__proto__` key, or a `constructor` key holding a `prototype`, at any depth.
 * fast-check's `jsonValue()` makes such keys now and then.
 */
function fastifyRefusesJson(body: string): boolean {
  let refused = false;
  JSON.parse(body, (key, value: unknown) => {
    if (key === '__proto__') refused = true;
    if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) refused = true;
    return value;
  });
  return refused;
}

/** Any status some route documents: for targets whose route cannot be told in advance. */
const ANY_DOCUMENTED = [...new Set(Object.values(ROUTES).flat())];

/** numRuns per property: about 5,800 requests per database in all (the data property sends 4 a run). */
const RUNS = {
  cookies: 1000,
  clientHeaders: 700,
  foreignOrigins: 500,
  ids: 600,
  adminUserIds: 300,
  adminQueries: 500,
  bodies: 700,
  methods: 400,
  dataNames: 250,
};
const PROPERTY_TIMEOUT = 180_000;

for (const entry of databaseMatrix()) {
  const title = entry.skip === null ? `hostile input on ${entry.label}` : `hostile input on ${entry.label} (skipped: ${entry.skip})`;
  describe.skipIf(entry.skip !== null)(title, () => hostileInputSuite(entry.kind, entry.label, 'express'));
}
// Fastify parses (and refuses) requests its own way: once, on SQLite.
describe('hostile input on SQLite, Fastify', () => hostileInputSuite('sqlite', 'SQLite, Fastify', 'fastify'));


interface Signed {
  userId: string;
  key: string;
  id: string;
}

function hostileInputSuite(kind: DatabaseKind, label: string, platform: TestPlatform): void {
  const logged = new hostile.ErrorRecorder();
  const t = useTestApp(kind, { adminPath: 'admin/sessions', isAdmin: ({ userId }) => userId === 'admin' }, {
    platform,
    // As behind a proxy on the same host: X-Forwarded-For and -Host from the client count.
    trustProxy: 'loopback',
    configure: (app) => app.useLogger(logged),
  });

  const unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown) => unhandled.push(reason);
  let client: hostile.HostileClient;
  const send = (property: string, request: RawRequest, allowed: readonly number[]) => client.send(property, request, allowed);

  let port: number;
  let alice: Signed;
  let aliceElsewhere: Signed;
  let bob: Signed;
  let admin: Signed;
  let carol: Signed;
  let everyone: Signed[];
  let liveKeys: string[];
  let baselineRows: string;
  let baselineSnapshot: Session[];
  let cursors: string[];

  beforeAll(async () => {
    process.on('unhandledRejection', recordUnhandled);
    process.on('uncaughtException', recordUnhandled);
    port = Number(new URL(t.url).port);
    client = new hostile.HostileClient(port, () => liveKeys ?? []);
    // The only rows of the file: every property checks that they are exactly these, after every request.
    alice = await signIn('alice');
    aliceElsewhere = await signIn('alice');
    bob = await signIn('bob');
    admin = await signIn('admin');
    carol = await signIn('carol');
    everyone = [alice, aliceElsewhere, bob, admin, carol];
    liveKeys = everyone.map((signed) => signed.key);
    baselineRows = await rowsNow();
    baselineSnapshot = await t.sessions.find();
    // From the store, not the API: the admin's own request may record its activity, which moves
    // its row to the top between the two pages (on MariaDB, whose whole seconds leave the five
    // rows' order to their ids, it then left the second page without a next one).
    const firstPage = await t.store.list({ limit: 2 });
    const secondPage = await t.store.list({ limit: 2, cursor: firstPage.nextCursor! });
    cursors = [firstPage.nextCursor!, secondPage.nextCursor!];
    expect(cursors.every((cursor) => typeof cursor === 'string')).toBe(true);
  });

  // Each property answers for what happened during its own requests.
  beforeEach(() => {
    logged.errors.length = 0;
    unhandled.length = 0;
  });

  afterAll(() => {
    process.off('unhandledRejection', recordUnhandled);
    process.off('uncaughtException', recordUnhandled);
    if (client) console.log(`hostile input on ${label}: ${client.summary()}`);
  });

  // ------------------------------------------------------------------ helpers

  async function signIn(userId: string): Promise<Signed> {
    const response = await sendRaw(port, {
      method: 'POST',
      target: '/login',
      headers: [['Content-Type', 'application/json'], ['User-Agent', 'Setup']],
      body: JSON.stringify({ userId }),
    });
    const key = /sessionid=([A-Za-z0-9_-]{43});/.exec(response.headers['set-cookie'] ?? '')?.[1];
    expect({ status: response.status, key: typeof key }).toEqual({ status: 201, key: 'string' });
    return { userId, key: key!, id: digestSessionKey(key!) };
  }

  const cookie = (signed: Signed): [string, string][] => [['Cookie', `sessionid=${signed.key}`]];

  /** The session rows as text: ids and users, sorted. */
  async function rowsNow(): Promise<string> {
    const rows = await t.sessions.find({ select: { id: true, userId: true } });
    return rows.map((row) => `${row.id} ${row.userId}`).sort().join('\n');
  }

  /**
   * Junk created, ended or renamed no session (a login renames its row). On a change the rows
   * are put back first, so that the runs fast-check makes to shrink the input start from the
   * same state and the counterexample it prints is the request that did it.
   */
  async function expectRowsUnchanged(request?: RawRequest): Promise<void> {
    const rows = await rowsNow();
    if (rows !== baselineRows) {
      await restoreRows();
      throw new Error(`the session rows changed:\n${rows}\nwere:\n${baselineRows}${request ? `\n${show(request)}` : ''}`);
    }
  }

  async function restoreRows(): Promise<void> {
    await t.sessions.clear();
    await t.sessions.insert(baselineSnapshot);
  }

  /** The statuses a request to `route` may get: `only` (a subset of the route's, when the input tells), or all of them, and the parser's. */
  const statuses = (route: Route, ...only: number[]) => {
    const unexpected = only.filter((status) => !(ROUTES[route] as readonly number[]).includes(status) && status !== NOT_MODIFIED);
    if (unexpected.length > 0) throw new Error(`${unexpected.join(', ')} is not documented for ${route}`);
    return [...new Set([...(only.length > 0 ? only : ROUTES[route]), ...PARSER])];
  };
  const json = (response: RawResponse): unknown => JSON.parse(response.body);
  /** 414 where Fastify's router may find the path segment too long (see `FASTIFY_MAX_PARAM_LENGTH`). */
  const routerLimit = (segment: string) => (platform === 'fastify' && segment.length > FASTIFY_MAX_PARAM_LENGTH ? [414] : []);

  /**
   * After each property: nothing went wrong out of sight, and the app still serves the
   * signed-in users as before.
   */
  async function expectHealthy(): Promise<void> {
    expect(unhandled).toEqual([]);
    expect(logged.errors).toEqual([]);
    await expectRowsUnchanged();
    const me = await send('health', { method: 'GET', target: '/me', headers: cookie(alice) }, [200]);
    expect(json(me)).toEqual({ userId: 'alice' });
    const own = await send('health', { method: 'GET', target: '/account/sessions', headers: cookie(alice) }, [200]);
    const listed = json(own) as { id: string; current: boolean }[];
    expect(listed.map((session) => [session.id, session.current]).sort()).toEqual(
      [[alice.id, true], [aliceElsewhere.id, false]].sort(),
    );
    const page = await send('health', { method: 'GET', target: '/admin/sessions', headers: cookie(admin) }, [200]);
    expect((json(page) as { sessions: { id: string }[] }).sessions.map((session) => session.id).sort()).toEqual(everyone.map((signed) => signed.id).sort());
    const data = await send('health', { method: 'GET', target: '/data/theme', headers: cookie(alice) }, [200]);
    expect(json(data)).toEqual({ value: null });
  }

  /** The users whose live key the request carries anywhere. */
  function ownersIn(request: RawRequest): Set<string> {
    const sent = encodeRequest(request, '').toString('latin1');
    return new Set(everyone.filter((signed) => sent.includes(signed.key)).map((signed) => signed.userId));
  }

  /** What the session layer may show of a client: a valid IP and a clean user agent, or nothing. */
  function expectCleanClient(sessions: { ip: string | null; userAgent: string | null }[], request: RawRequest): void {
    for (const { ip, userAgent } of sessions) {
      const clean =
        (ip === null || isIP(ip) !== 0) &&
        (userAgent === null || (userAgent.length > 0 && Array.from(userAgent).length <= 200 && !/[\u0000-\u001f\u007f]/.test(userAgent)));
      if (!clean) throw new Error(`listed a client as ip ${JSON.stringify(ip)}, user agent ${JSON.stringify(userAgent)}\n${show(request)}`);
    }
  }

  /** Runs a property, each run from the baseline rows. */
  async function property<T>(arbitrary: fc.Arbitrary<T>, numRuns: number, check: (value: T) => Promise<void>): Promise<void> {
    const putBack = async () => {
      if ((await rowsNow()) !== baselineRows) await restoreRows();
    };
    await putBack();
    // A run that failed on its status may have changed rows too: the next run starts clean.
    await fc.assert(fc.asyncProperty(arbitrary, (value) => check(value).finally(putBack)), { numRuns });
  }

  // ------------------------------------------------------------------ properties

  it('cookies of any shape: junk never signs in, creates or ends a session; a live key signs in only its owner', async () => {
    const nearMisses = everyone.map((signed) => hostile.nearKey(signed.key, signed.id));
    const readRoutes = {
      'GET /me': '/me',
      'GET /account/sessions': '/account/sessions',
      'GET /admin/sessions': '/admin/sessions',
      'GET /data/:name': '/data/theme',
      'GET /public': '/public',
    } as const;
    const writeRoutes = {
      'DELETE /account/sessions': '/account/sessions',
      'DELETE /account/sessions/:id': `/account/sessions/${bob.id}`,
      'POST /logout': '/logout',
      'DELETE /admin/sessions/:id': `/admin/sessions/${bob.id}`,
      'DELETE /admin/sessions/users/:userId': '/admin/sessions/users/bob',
    } as const;
    /** What a request answers when none of its cookies is a live key. */
    const anonymous: Record<Route, number> = {
      'GET /me': 401,
      'GET /account/sessions': 401,
      'GET /admin/sessions': 404,
      'GET /data/:name': 200,
      'GET /public': 200,
      'DELETE /account/sessions': 401,
      'DELETE /account/sessions/:id': 401,
      'POST /logout': 204,
      'DELETE /admin/sessions/:id': 404,
      'DELETE /admin/sessions/users/:userId': 404,
    } as Record<Route, number>;
    const requests = fc.oneof(
      // Reads may carry live keys, of several users at once, among the junk.
      fc.record({
        route: fc.constantFrom(...(Object.keys(readRoutes) as (keyof typeof readRoutes)[])),
        head: fc.boolean(),
        cookies: hostile.cookieHeaders(liveKeys, nearMisses),
      }).map(({ route, head, cookies }) => ({
        route: route as Route,
        request: {
          method: head && route === 'GET /me' ? 'HEAD' : route.split(' ')[0],
          target: readRoutes[route],
          headers: cookies.map((value): [string, Buffer] => ['Cookie', value]),
        },
      })),
      // State-changing requests carry junk and near misses only: nothing may change.
      fc.record({
        route: fc.constantFrom(...(Object.keys(writeRoutes) as (keyof typeof writeRoutes)[])),
        cookies: hostile.cookieHeaders([], nearMisses),
      }).map(({ route, cookies }) => ({
        route: route as Route,
        request: { method: route.split(' ')[0], target: writeRoutes[route], headers: cookies.map((value): [string, Buffer] => ['Cookie', value]) },
      })),
    );
    await property(requests, RUNS.cookies, async ({ route, request }) => {
      const owners = ownersIn(request);
      const response = await send('cookies', request, owners.size === 0 ? statuses(route, anonymous[route]) : statuses(route));
      if (response.status === 200 && route === 'GET /me' && request.method === 'GET') {
        const { userId } = json(response) as { userId: string };
        if (!owners.has(userId)) throw new Error(`signed in as ${userId}, whose key the request did not carry\n${show(request)}`);
      }
      if (response.status === 200 && route === 'GET /admin/sessions' && !owners.has('admin')) {
        throw new Error(`the admin API answered without the administrator's key\n${show(request)}`);
      }
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('user agents, X-Forwarded-For, Host and other headers of any bytes and length: a signed-in read still answers, and stores a clean client', async () => {
    const requests = fc.record({
      who: fc.constantFrom('alice', 'admin'),
      route: fc.constantFrom<Route>('GET /me', 'GET /account/sessions', 'GET /admin/sessions', 'GET /data/:name'),
      head: fc.boolean(),
      userAgent: fc.option(hostile.userAgent),
      forwardedFor: fc.option(hostile.forwardedFor),
      host: fc.option(fc.oneof(hostile.anyText(60).map((text) => Buffer.from(text)), hostile.rawBytes(30), fc.constantFrom('[::1', 'a:b:c', ':0', '127.0.0.1:99999', 'x'.repeat(300)).map((text) => Buffer.from(text)))),
      others: hostile.otherHeaders,
    });
    const targets: Partial<Record<Route, string>> = {
      'GET /me': '/me',
      'GET /account/sessions': '/account/sessions',
      'GET /admin/sessions': '/admin/sessions',
      'GET /data/:name': '/data/theme',
    };
    await property(requests, RUNS.clientHeaders, async ({ who, route, head, userAgent, forwardedFor, host, others }) => {
      const signed = who === 'alice' ? alice : admin;
      const headers: [string, string | Buffer][] = [...cookie(signed), ...others];
      if (userAgent) headers.push(['User-Agent', userAgent]);
      if (forwardedFor) headers.push(['X-Forwarded-For', forwardedFor]);
      if (host) headers.push(['Host', host]);
      const request: RawRequest = { method: head ? 'HEAD' : 'GET', target: targets[route]!, headers };
      // Exactly what a signed-in user gets; only the parser may refuse the bytes first.
      const expected = [route === 'GET /admin/sessions' && who !== 'admin' ? 404 : 200];
      if (expected[0] === 200 && others.some(([name]) => name === 'If-None-Match')) expected.push(NOT_MODIFIED);
      const response = await send('client headers', request, statuses(route, ...expected));
      if (response.status === 200 && !head) {
        const body = json(response);
        if (route === 'GET /me' && !isDeepStrictEqual(body, { userId: signed.userId })) throw new Error(`answered ${response.body}\n${show(request)}`);
        if (route === 'GET /account/sessions') expectCleanClient(body as never, request);
        if (route === 'GET /admin/sessions') expectCleanClient((body as { sessions: never[] }).sessions, request);
      }
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('a foreign Origin or Referer on a state-changing request is a 403 and changes nothing, even with a live cookie and a valid body', async () => {
    const jsonType: [string, string] = ['Content-Type', 'application/json'];
    const attempts: { route: Route; request: () => RawRequest }[] = [
      { route: 'POST /login', request: () => ({ method: 'POST', target: '/login', headers: [jsonType], body: '{"userId":"mallory"}' }) },
      { route: 'POST /login', request: () => ({ method: 'POST', target: '/login', headers: [jsonType, ...cookie(alice)], body: '{"userId":"mallory"}' }) },
      { route: 'POST /logout', request: () => ({ method: 'POST', target: '/logout', headers: cookie(alice) }) },
      { route: 'POST /data', request: () => ({ method: 'POST', target: '/data', headers: [jsonType, ...cookie(alice)], body: '{"name":"theme","value":"hijacked"}' }) },
      { route: 'DELETE /account/sessions', request: () => ({ method: 'DELETE', target: '/account/sessions', headers: cookie(alice) }) },
      { route: 'DELETE /account/sessions/:id', request: () => ({ method: 'DELETE', target: `/account/sessions/${aliceElsewhere.id}`, headers: cookie(alice) }) },
      { route: 'DELETE /admin/sessions/:id', request: () => ({ method: 'DELETE', target: `/admin/sessions/${bob.id}`, headers: cookie(admin) }) },
      { route: 'DELETE /admin/sessions/users/:userId', request: () => ({ method: 'DELETE', target: '/admin/sessions/users/bob', headers: cookie(admin) }) },
      { route: 'no route', request: () => ({ method: 'PUT', target: '/me', headers: cookie(alice) }) },
      { route: 'no route', request: () => ({ method: 'PATCH', target: '/account/sessions', headers: cookie(alice) }) },
    ];
    const foreign = hostile.foreignOrigin(port);
    const requests = fc
      .record({ attempt: fc.nat({ max: attempts.length - 1 }), origin: fc.option(foreign), referer: fc.option(foreign) })
      .filter(({ origin, referer }) => origin !== null || referer !== null);
    await property(requests, RUNS.foreignOrigins, async ({ attempt, origin, referer }) => {
      const { route, request: build } = attempts[attempt];
      const request = build();
      if (origin) request.headers.push(['Origin', origin]);
      if (referer) request.headers.push(['Referer', referer]);
      await send('foreign origins', request, statuses(route, 403));
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it(':id of any shape: a malformed id is a 400, any other id not the caller’s own a 404; nothing is ended', async () => {
    const others = [bob, admin, carol].map((signed) => signed.id);
    const own = new Set([alice.id, aliceElsewhere.id]);
    const all = new Set(everyone.map((signed) => signed.id));
    const requests = fc
      .record({ scope: fc.constantFrom('account', 'admin'), id: hostile.idValue(others), raw: fc.boolean() })
      // The caller's own ids (any id, for the administrator) end a session: not junk.
      .filter(({ scope, id }) => !(scope === 'account' ? own : all).has(id));
    await property(requests, RUNS.ids, async ({ scope, id, raw }) => {
      const signed = scope === 'account' ? alice : admin;
      const segment = hostile.pathSegment(id, raw);
      const request: RawRequest = { method: 'DELETE', target: `/${scope === 'account' ? 'account' : 'admin'}/sessions/${segment}`, headers: cookie(signed) };
      const route: Route = scope === 'account' ? 'DELETE /account/sessions/:id' : 'DELETE /admin/sessions/:id';
      // Percent-encoded, the server sees the id as it is; raw bytes may fail to decode (400).
      const expected = raw ? [400, 404] : /^[0-9a-f]{64}$/.test(id) ? [404] : [400];
      await send(':id', request, [...statuses(route, ...expected), ...routerLimit(segment)]);
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('admin: a user id of any shape ends nobody else’s sessions; one the column cannot hold is a 400', async () => {
    const taken = new Set(everyone.map((signed) => signed.userId));
    const lookalikes = ['Alice', 'ALICE', 'alice ', ' alice', 'alice\t', 'alice\u0000', 'ａｌｉｃｅ', 'alİce', 'a\u0301lice', 'bob\u200b', 'admin%00', 'admin/', '../admin'];
    const userIds = fc
      .record({
        userId: fc.oneof(hostile.anyText(300), fc.constantFrom(...lookalikes), hostile.edgeLength.map((length) => 'u'.repeat(length))),
        raw: fc.boolean(),
      })
      .filter(({ userId }) => !taken.has(userId));
    await property(userIds, RUNS.adminUserIds, async ({ userId, raw }) => {
      const segment = hostile.pathSegment(userId, raw);
      const request: RawRequest = { method: 'DELETE', target: `/admin/sessions/users/${segment}`, headers: cookie(admin) };
      // A string user id is 1 to 255 UTF-16 code units without NUL (see parseUserId); the empty
      // one leaves `users/` for the `:id` route.
      const fits = userId.length >= 1 && userId.length <= 255 && !userId.includes('\u0000');
      const expected = raw || userId.length === 0 ? [200, 400, 404] : fits ? [200] : [400];
      const response = await send('admin user ids', request, [...statuses('DELETE /admin/sessions/users/:userId', ...expected), ...routerLimit(segment)]);
      if (response.status === 200 && !isDeepStrictEqual(json(response), { ended: 0 })) {
        throw new Error(`ended ${response.body} for a user who has no session\n${show(request)}`);
      }
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('admin list: any query string is a page or a 400, and a page obeys the filters it was given', async () => {
    const known = ['status', 'userId', 'ipPrefix', 'limit', 'cursor'];
    const name = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...known) },
      { weight: 1, arbitrary: fc.constantFrom('userId[]', 'status[0]', '__proto__', 'constructor', 'toString', 'sort', 'offset', '', 'limit ', 'LIMIT') },
      { weight: 1, arbitrary: hostile.anyText(10) },
    );
    const value = fc.oneof(
      fc.constantFrom('active', 'expired', 'all', 'ACTIVE', '', 'alice', 'bob', 'admin', 'Alice', '127.', '127.0.0.1', '::', '::1', '%', '_', "' OR 1=1 --", '1e2', '0x10', ' 5', '5 ', '-0', 'NaN', 'Infinity', ...cursors),
      fc.integer({ min: -1000, max: 1000 }).map(String),
      fc.double().map(String),
      fc.ipV4().chain((ip) => fc.nat({ max: ip.length }).map((length) => ip.slice(0, length))),
      fc.constantFrom(...cursors).chain((cursor) => fc.nat({ max: 53 }).map((at) => `${cursor.slice(0, at)}${cursor[at] === 'A' ? 'B' : 'A'}${cursor.slice(at + 1)}`)),
      hostile.wellFormedKey.chain((key) => hostile.wellFormedKey.map((more) => `${key}${more}`.slice(0, 54))),
      hostile.anyText(40),
      hostile.edgeLength.map((length) => '1'.repeat(length)),
    );
    const queries = fc.array(fc.record({ name, value, raw: fc.boolean() }), { maxLength: 6 });
    const encode = (text: string, raw: boolean) => (raw ? hostile.pathSegment(text, true).replace(/&/g, '%26') : encodeURIComponent(text));
    await property(queries, RUNS.adminQueries, async (pairs) => {
      const query = pairs.map((pair) => `${encode(pair.name, pair.raw)}=${encode(pair.value, pair.raw)}`).join('&');
      const request: RawRequest = { method: 'GET', target: `/admin/sessions${query ? `?${query}` : ''}`, headers: cookie(admin) };
      const response = await send('admin queries', request, statuses('GET /admin/sessions', 200, 400));
      if (response.status === 200) {
        const page = json(response) as { sessions: { userId: string; ip: string | null; valid: boolean; id: string }[]; nextCursor: string | null };
        const given = (filter: string) => {
          const matching = pairs.filter((pair) => pair.name === filter);
          return matching.length === 1 && !matching[0].raw ? matching[0].value : undefined;
        };
        const status = given('status') ?? 'active';
        const problems = page.sessions.flatMap((session) => [
          !/^[0-9a-f]{64}$/.test(session.id) && 'an id that is not one',
          status === 'active' && !session.valid && 'an expired session in the active list',
          status === 'expired' && session.valid && 'a valid session in the expired list',
          given('userId') !== undefined && session.userId !== given('userId') && `user ${session.userId} for userId=${given('userId')}`,
          given('ipPrefix') !== undefined && !session.ip?.startsWith(given('ipPrefix')!.toLowerCase()) && `ip ${session.ip} for ipPrefix=${given('ipPrefix')}`,
        ]);
        const limit = given('limit') === undefined ? 50 : Number(given('limit'));
        if (page.sessions.length > limit) problems.push(`${page.sessions.length} sessions for limit ${limit}`);
        const found = problems.filter(Boolean);
        if (found.length > 0) throw new Error(`the page breaks its filters: ${found.join('; ')}\n${show(request)}`);
      }
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('JSON bodies of the wrong types, malformed or oversized, in any content type: a 4xx, no row, no cookie', async () => {
    const control = fc.integer({ min: 0, max: 0x20 }).map((code) => String.fromCharCode(code === 0x20 ? 0x7f : code));
    const badUserId = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.constantFrom(1.5, -0.5, 2 ** 53, -(2 ** 53), 1e300, Number.MAX_VALUE),
      fc.array(hostile.jsonValue, { maxLength: 3 }),
      fc.dictionary(fc.string(), hostile.jsonValue, { maxKeys: 3 }),
      fc.constant(''),
      fc.integer({ min: 256, max: 120_000 }).map((length) => 'u'.repeat(length)),
      fc.tuple(hostile.anyText(20), control, hostile.anyText(20)).map((parts) => parts.join('')),
    );
    const badName = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.array(hostile.jsonValue, { maxLength: 3 }),
      fc.dictionary(fc.string(), hostile.jsonValue, { maxKeys: 3 }),
      fc.constant(''),
      fc.integer({ min: 201, max: 5000 }).map((length) => 'n'.repeat(length)),
    );
    const withOthers = <T>(field: string, value: fc.Arbitrary<T>) =>
      fc.tuple(fc.dictionary(fc.string().filter((key) => key !== 'userId' && key !== 'name'), hostile.jsonValue, { maxKeys: 3 }), value).map(
        ([others, chosen]) => JSON.stringify({ ...others, [field]: chosen }),
      );
    const loginBody = fc.oneof(
      { weight: 4, arbitrary: withOthers('userId', badUserId) },
      { weight: 1, arbitrary: fc.dictionary(fc.string().filter((key) => key !== 'userId'), hostile.jsonValue, { maxKeys: 4 }).map((body) => JSON.stringify(body)) },
      { weight: 1, arbitrary: hostile.jsonValue.filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)).map((value) => JSON.stringify(value)) },
      { weight: 1, arbitrary: fc.integer({ min: 1000, max: 49_000 }).map((depth) => `{"userId":${hostile.nested(depth)}}`) },
      { weight: 2, arbitrary: hostile.malformedJson },
      { weight: 1, arbitrary: fc.integer({ min: 102_500, max: 250_000 }).map((length) => JSON.stringify({ userId: 'u'.repeat(length) })) },
    );
    const dataBody = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(badName, hostile.jsonValue).map(([name, value]) => JSON.stringify({ name, value })) },
      // Valid names, values over the app's 8 KiB: too deep for JSON.stringify, or too long.
      { weight: 1, arbitrary: fc.integer({ min: 5000, max: 49_000 }).map((depth) => `{"name":"theme","value":${hostile.nested(depth)}}`) },
      { weight: 1, arbitrary: fc.integer({ min: 8200, max: 120_000 }).map((length) => JSON.stringify({ name: 'theme', value: 'v'.repeat(length) })) },
      { weight: 2, arbitrary: hostile.malformedJson },
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=utf-16',
      'application/json; charset=utf-7',
      'application/json; charset=latin1',
      'application/json; charset=junk',
      'application/vnd.api+json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      '*/*',
      '',
    );
    const encoding = fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'junk', 'gzip, gzip'), { freq: 5 });
    const nearMisses = [alice, bob].map((signed) => hostile.nearKey(signed.key, signed.id));
    const requests = fc.record({
      route: fc.constantFrom<Route>('POST /login', 'POST /data'),
      loginBody,
      dataBody,
      contentType,
      encoding,
      // None, junk, or alice's: a refused login must leave her signed in, with the same key.
      who: fc.oneof(fc.constant<string | null>(null), fc.constant('alice'), fc.oneof(...nearMisses)),
    });
    await property(requests, RUNS.bodies, async ({ route, loginBody, dataBody, contentType, encoding, who }) => {
      const body = route === 'POST /login' ? loginBody : dataBody;
      // A form body may name userId with a plain value (a valid login): only what cannot be one.
      fc.pre(contentType !== 'application/x-www-form-urlencoded' || !/userid|name/i.test(safeDecode(body)));
      const headers: [string, string][] = [['Content-Type', contentType]];
      if (encoding) headers.push(['Content-Encoding', encoding]);
      if (who === 'alice') headers.push(...cookie(alice));
      else if (who !== null) headers.push(['Cookie', `sessionid=${who}`]);
      const request: RawRequest = { method: 'POST', target: route === 'POST /login' ? '/login' : '/data', headers, body };
      const response = await send('bodies', request, statuses(route, 400, 413, 415));
      if (response.headers['set-cookie'] !== undefined) throw new Error(`a refused body set a cookie\n${show(request)}`);
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('any method on any path, anonymous: a documented status, and no list or end of sessions', async () => {
    const table: [string, string, Route][] = [
      ['GET', '/public', 'GET /public'],
      ['GET', '/me', 'GET /me'],
      ['GET', '/data/theme', 'GET /data/:name'],
      ['POST', '/data', 'POST /data'],
      ['POST', '/login', 'POST /login'],
      ['POST', '/logout', 'POST /logout'],
      ['GET', '/account/sessions', 'GET /account/sessions'],
      ['DELETE', '/account/sessions', 'DELETE /account/sessions'],
      ['DELETE', `/account/sessions/${bob.id}`, 'DELETE /account/sessions/:id'],
      ['GET', '/admin/sessions', 'GET /admin/sessions'],
      ['DELETE', `/admin/sessions/${bob.id}`, 'DELETE /admin/sessions/:id'],
      ['DELETE', '/admin/sessions/users/bob', 'DELETE /admin/sessions/users/:userId'],
    ];
    const paths = [...new Set(table.map(([, path]) => path))];
    const method = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE') },
      // CONNECT is left out: Node closes the connection of a CONNECT without an answer when the
      // server has no 'connect' listener (a tunnel request, not an HTTP one).
      { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'PURGE', 'QUERY', 'get', 'Get', 'FOO', 'DELETE\u0000', 'G\tET', 'ПОСТ', '*') },
    );
    const target = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...paths) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(...paths).chain((path) =>
          fc.constantFrom(
            path.toUpperCase(),
            `${path}/`,
            `/${path}`,
            `/.${path}`,
            `${path}/.`,
            `${path}/..`,
            path.replace('/sessions', '//sessions'),
            path.replace('/s', '/%73'),
            `${path};x=1`,
            `${path}?x=1&x=2`,
            `${path}#fragment`,
            `${path}%00`,
            `${path}%2f`,
            `http://127.0.0.1:${port}${path}`,
            `http://evil.example${path}`,
          ),
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom('*', '/', '', '//', '/..', '/%', '/%zz', '/\u00ff', '/admin', '/account', '/admin/sessions/users', '/admin/sessions/users/') },
      { weight: 1, arbitrary: hostile.anyText(60).map((text) => `/${hostile.pathSegment(text, true)}`) },
    );
    const nearMisses = everyone.map((signed) => hostile.nearKey(signed.key, signed.id));
    const requests = fc.record({ method, target, cookies: fc.option(hostile.cookieHeaders([], nearMisses)) });
    await property(requests, RUNS.methods, async ({ method, target, cookies }) => {
      const request: RawRequest = { method, target, headers: (cookies ?? []).map((value): [string, Buffer] => ['Cookie', value]) };
      if (['POST', 'PUT', 'PATCH'].includes(method)) request.body = '';
      const exact = table.find(([m, path]) => (m === method || (m === 'GET' && method === 'HEAD')) && path === target);
      const response = await send('methods and paths', request, exact ? statuses(exact[2]) : [...ANY_DOCUMENTED, ...PARSER]);
      if (response.status >= 200 && response.status < 300 && method !== 'HEAD' && response.body) {
        const body = json(response) as Record<string, unknown> | unknown[];
        if (Array.isArray(body) || 'sessions' in body || 'deleted' in body || 'ended' in body) {
          throw new Error(`an anonymous request listed or ended sessions: ${response.body.slice(0, 300)}\n${show(request)}`);
        }
      }
      await expectRowsUnchanged(request);
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  it('session data under a name of any shape reads back as stored, and a name never set reads nothing', async () => {
    const names = fc
      .oneof(
        hostile.anyText(60),
        fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype', 'length', '0', '.', '..', '%', '%2F', 'a/b', ' '),
      )
      .filter((name) => name.length > 0 && name.length <= 200);
    const requests = fc.record({ name: names, value: hostile.jsonValue });
    const headers: [string, string][] = [['Content-Type', 'application/json'], ...cookie(carol)];
    await property(requests, RUNS.dataNames, async ({ name, value }) => {
      const target = `/data/${encodeURIComponent(name)}`;
      const read = async () => json(await send('data names', { method: 'GET', target, headers }, statuses('GET /data/:name'))) as { value: unknown };
      const before = await read();
      if (before.value !== null) throw new Error(`${JSON.stringify(name)} was never set but reads ${JSON.stringify(before)}`);
      const body = JSON.stringify({ name, value });
      // Fastify's own answer to a __proto__ key: nothing stored, so the name still reads nothing.
      const refused = platform === 'fastify' && fastifyRefusesJson(body);
      await send('data names', { method: 'POST', target: '/data', headers, body }, refused ? [400] : statuses('POST /data', 201));
      const after = await read();
      const expected = refused ? null : JSON.parse(JSON.stringify(value));
      if (!isDeepStrictEqual(after.value, expected)) {
        throw new Error(`${JSON.stringify(name)} stored ${JSON.stringify(expected)} but reads ${JSON.stringify(after.value)}`);
      }
      // No value removes it: carol's data stays small run after run.
      await send('data names', { method: 'POST', target: '/data', headers, body: JSON.stringify({ name }) }, statuses('POST /data', 201));
      await expectRowsUnchanged();
    });
    await expectHealthy();
  }, PROPERTY_TIMEOUT);

  // ------------------------------------------------------------------ what the properties found

  it('found: a user id PostgreSQL cannot store (NUL) is a 400 on the admin API, not a 500', async () => {
    const page = await send('found', { method: 'GET', target: '/admin/sessions?userId=a%00b', headers: cookie(admin) }, [400]);
    expect(json(page)).toMatchObject({ message: ["userId must be a string of 1 to 255 characters, without NUL or lone surrogates (userIdType 'string')"] });
    await send('found', { method: 'DELETE', target: '/admin/sessions/users/a%00b', headers: cookie(admin) }, [400]);
    await expectHealthy();
  });

  it('found: a value with a "__proto__" key is stored as it came on Express; Fastify\'s JSON parser refuses the body (400)', async () => {
    const headers: [string, string][] = [['Content-Type', 'application/json'], ...cookie(carol)];
    const body = '{"name":"nested","value":{"a":{"__proto__":{"polluted":true}}}}';
    await send('found', { method: 'POST', target: '/data', headers, body }, [platform === 'fastify' ? 400 : 201]);
    const stored = json(await send('found', { method: 'GET', target: '/data/nested', headers }, [200])) as { value: unknown };
    if (platform === 'fastify') expect(stored).toEqual({ value: null });
    else expect(JSON.stringify(stored)).toBe('{"value":{"a":{"__proto__":{"polluted":true}}}}');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    await send('found', { method: 'POST', target: '/data', headers, body: '{"name":"nested"}' }, [201]);
    await expectHealthy();
  });

  it('found: "constructor" and "__proto__" are plain session data names', async () => {
    const headers: [string, string][] = [['Content-Type', 'application/json'], ...cookie(carol)];
    expect(json(await send('found', { method: 'GET', target: '/data/constructor', headers }, [200]))).toEqual({ value: null });
    await send('found', { method: 'POST', target: '/data', headers, body: '{"name":"__proto__","value":{"theme":"dark"}}' }, [201]);
    expect(json(await send('found', { method: 'GET', target: '/data/theme', headers }, [200]))).toEqual({ value: null });
    expect(json(await send('found', { method: 'GET', target: '/data/__proto__', headers }, [200]))).toEqual({ value: { theme: 'dark' } });
    await send('found', { method: 'POST', target: '/data', headers, body: '{"name":"__proto__"}' }, [201]);
    await expectHealthy();
  });

  it('found: a login body nested deeper than the stack is a 400 with a clear message', async () => {
    const response = await send('found', { method: 'POST', target: '/login', headers: [['Content-Type', 'application/json']], body: `{"userId":${hostile.nested(40_000)}}` }, [400]);
    expect(json(response)).toMatchObject({ message: ['userId must be a string of 1 to 255 printable characters or a whole number'] });
    await expectHealthy();
  });
}

/** The text a form body decodes to, as far as it decodes. */
function safeDecode(body: string): string {
  try {
    return decodeURIComponent(body.replace(/\+/g, ' '));
  } catch {
    return body;
  }
}
