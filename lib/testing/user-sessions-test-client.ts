import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { SessionStoreService } from '../store/session-store.service.js';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import { readCookies } from '../http/cookies.js';
import { sessionCookieName } from '../http/session-cookie.js';
import type { SessionData, UserSession } from '../session/user-session.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import type { UserId } from '../session/user-id.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';

/** How `login()` creates the session. */
export interface TestLoginOptions {
  /** User agent recorded on the session and sent with every request. */
  userAgent?: string;
  /**
   * IP recorded on the session, and sent as `X-Forwarded-For` on every request. An app that
   * trusts the loopback proxy (Express: `app.set('trust proxy', 'loopback')`; Fastify:
   * `new FastifyAdapter({ trustProxy: 'loopback' })`) keeps seeing it; one that
   * does not records the test client's real address on the next request, as it should.
   */
  ip?: string;
  /** Session data to start with. */
  data?: SessionData;
}

/**
 * A supertest client for an app that uses `UserSessionsModule` (the seed's test `Client`).
 * `login()` creates a real session through `SessionStoreService`, without the app's own login
 * route, and every later request carries its cookie; cookies the app sets are followed.
 *
 * On Fastify, make the app ready first, as for any request in a test:
 * `await app.init(); await app.getHttpAdapter().getInstance().ready();`.
 *
 * @example
 * const client = new UserSessionsTestClient(app);
 * await client.login(42);
 * await client.get('/profile').expect(200);
 */
export class UserSessionsTestClient {
  private readonly store: SessionStoreService;
  private readonly cookieName: string;
  private key: string | undefined;
  private userAgent: string;
  private forwardedFor: string | undefined;

  constructor(
    private readonly app: INestApplication,
    options: { userAgent?: string } = {},
  ) {
    this.store = app.get(SessionStoreService);
    this.cookieName = sessionCookieName(app.get<ResolvedUserSessionsOptions>(USER_SESSIONS_MODULE_OPTIONS));
    this.userAgent = options.userAgent ?? 'nestjs-user-sessions-test-client';
  }

  /**
   * Signs `userId` in on a new session, as `SessionStoreService.login()` does (the sign-in
   * counts as a password entry for `@RequireRecentLogin()`, and emits the sign-in event);
   * returns it.
   */
  async login(userId: UserId, options: TestLoginOptions = {}): Promise<UserSession> {
    if (options.userAgent !== undefined) this.userAgent = options.userAgent;
    this.forwardedFor = options.ip;
    const session = await this.store.create({
      userId,
      ip: options.ip ?? '127.0.0.1',
      userAgent: this.userAgent,
      data: options.data,
    });
    await this.store.login(session, userId);
    this.key = session.key!;
    return session;
  }

  /** Ends the current session (its row is deleted) and forgets the cookie. */
  async logout(): Promise<void> {
    if (this.key !== undefined) {
      const session = await this.store.load(this.key);
      if (session) await this.store.logout(session);
    }
    this.key = undefined;
  }

  /** The session the client now carries, or null. */
  async session(): Promise<UserSession | null> {
    return this.key === undefined ? null : this.store.load(this.key);
  }

  /** The `Cookie` header value the client sends, or undefined when signed out. */
  get cookie(): string | undefined {
    return this.key === undefined ? undefined : `${this.cookieName}=${this.key}`;
  }

  get(path: string): request.Test {
    return this.request('get', path);
  }
  post(path: string): request.Test {
    return this.request('post', path);
  }
  put(path: string): request.Test {
    return this.request('put', path);
  }
  patch(path: string): request.Test {
    return this.request('patch', path);
  }
  delete(path: string): request.Test {
    return this.request('delete', path);
  }
  head(path: string): request.Test {
    return this.request('head', path);
  }
  options(path: string): request.Test {
    return this.request('options', path);
  }

  private request(method: Method, path: string): request.Test {
    const test = request(this.app.getHttpServer())[method](path).set('User-Agent', this.userAgent);
    if (this.key !== undefined) test.set('Cookie', this.cookie!);
    if (this.forwardedFor !== undefined) test.set('X-Forwarded-For', this.forwardedFor);
    test.on('response', (response: { headers: Record<string, string | string[] | undefined> }) => this.follow(response.headers['set-cookie']));
    return test;
  }

  /** Takes the session cookie the app set (login cycles the key; logout clears it). */
  private follow(setCookie: string | string[] | undefined): void {
    for (const header of ([] as string[]).concat(setCookie ?? [])) {
      const [pair, ...attributes] = header.split(';');
      const [value] = readCookies(pair, this.cookieName);
      if (value === undefined) continue;
      const cleared = value === '' || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      this.key = cleared ? undefined : value;
    }
  }
}
