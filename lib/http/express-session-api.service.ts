import { Inject, Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { SessionStoreService } from '../store/session-store.service.js';
import { SessionLifetime } from '../session/session-lifetime.js';
import { normalizeUserId, type UserId } from '../session/user-id.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';
import { ExpressSessionApi, ExpressSessionCookie, STATE, type ExpressSessionBackend } from './express-session-api.js';
import { RequestSessionService } from './request-session.service.js';
import { answerWithError, STORE_UNAVAILABLE } from './error-response.js';

/** Where Passport keeps its sign-in in express-session's data (its default `key`). */
const PASSPORT_KEY = 'passport';

type RequestHook = (request: object, response: object, done: (error?: unknown) => void) => unknown;

/** The HTTP adapter's parts the service uses: Nest's `AbstractHttpAdapter`. */
interface HttpAdapterLike {
  getType(): string;
  use(handler: Middleware): unknown;
  setOnRequestHook(hook: RequestHook): void;
  /** Not public API: the hook set before, which `setOnRequestHook()` would replace. */
  onRequestHook?: RequestHook;
  getInstance<T>(): T;
}

type Middleware = (request: object, response: ServerResponse, next: (error?: unknown) => void) => void;

interface FastifyLike {
  hasRequestDecorator(name: string): boolean;
  decorateRequest(name: string, value: unknown): void;
}

interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload: string): unknown;
}

/**
 * @internal The `expressSessionApi` option: every request carries an express-session-compatible
 * `req.session` (`ExpressSessionApi`) over its session, loaded before the app's own
 * middleware runs, so that code written for express-session and Passport works unchanged.
 * The data is the session's data; Passport's `passport.user` is the session's user: setting
 * it signs that user in (one write, with a new key), removing it signs out (the row is
 * deleted), so sessions signed in through `req.login()` are listed under their user.
 */
@Injectable()
export class ExpressSessionApiService implements ExpressSessionBackend {
  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly requests: RequestSessionService,
    private readonly store: SessionStoreService,
    private readonly lifetime: SessionLifetime,
  ) {}

  /**
   * Puts the module on the app ahead of everything `app.use()` adds (Passport's middleware,
   * say): Nest's request hook runs first on every request. On Express the hook runs
   * `middleware` (the module's own) and then loads the session; on Fastify the middleware stays
   * where it is and the hook loads the session onto the FastifyRequest, which Nest's guards and
   * handlers get.
   */
  install(adapter: HttpAdapterLike, middleware: Middleware): void {
    if (adapter.getType() === 'fastify') {
      const fastify = adapter.getInstance<FastifyLike>();
      if (fastify.hasRequestDecorator('session')) {
        throw new Error(
          'expressSessionApi: the request already has a "session" (another session plugin, such as @fastify/session or ' +
            '@fastify/secure-session, is registered); remove it or turn expressSessionApi off.',
        );
      }
      fastify.decorateRequest('session', null);
      adapter.use(middleware);
      addRequestHook(adapter, (request, reply, done) => {
        this.attach(request).then(() => done(), (error: unknown) => {
          if (!(error instanceof SessionStoreUnavailableException)) return done(error);
          const body = JSON.stringify(STORE_UNAVAILABLE);
          (reply as FastifyReplyLike).code(503).header('content-type', 'application/json; charset=utf-8').send(body);
        });
      });
      return;
    }
    addRequestHook(adapter, (request, response, done) => {
      middleware(request, response as ServerResponse, (error) => {
        if (error) return done(error);
        this.attach(request).then(() => done(), (failure: unknown) => {
          if (!(failure instanceof SessionStoreUnavailableException)) return done(failure);
          answerWithError(response as ServerResponse, (response as ServerResponse).end, 503, STORE_UNAVAILABLE);
        });
      });
    });
  }

  /** Loads the request's session (one primary-key SELECT when it has a cookie) and sets `req.session`. */
  async attach(request: object): Promise<void> {
    const handle = this.requests.forRequest(request);
    await handle.load();
    this.expose(new ExpressSessionApi(this, handle, request));
  }

  async regenerate(object: ExpressSessionApi): Promise<void> {
    const { handle } = object[STATE];
    // Deleted, or (never stored) emptied: a key planted before sign-in is worthless after it.
    await this.store.delete(handle.session!);
    this.expose(new ExpressSessionApi(this, handle, object[STATE].request));
  }

  async save(object: ExpressSessionApi): Promise<void> {
    await this.sync(object);
    const state = object[STATE];
    const session = state.handle.session!;
    if (!isCurrent(object) || !session.dataModified) return;
    await this.store.save(session);
    state.sessionId = session.id;
  }

  async destroy(object: ExpressSessionApi): Promise<void> {
    const { handle, request } = object[STATE];
    await this.store.delete(handle.session!);
    handle.sessionObject = undefined;
    request.session = undefined;
  }

  async reload(object: ExpressSessionApi): Promise<void> {
    const { handle, request } = object[STATE];
    const session = await this.requests.reloadSession(handle);
    // express-session's words, which apps may match.
    if (!session) throw new Error('failed to load session');
    handle.session = session;
    this.expose(new ExpressSessionApi(this, handle, request));
  }

  hasChanges(object: ExpressSessionApi): boolean {
    const state = object[STATE];
    if (!isCurrent(object)) return false;
    try {
      const user = passportUser(object, this.options);
      return JSON.stringify(object) !== state.savedJson || (user !== undefined && user !== state.handle.session!.userId);
    } catch {
      // Data that is not JSON, or a Passport user that is no id: sync() meets it and reports it.
      return true;
    }
  }

  /**
   * Brings the object's data into the session (when it changed), then Passport's user: a new
   * one signs in (`SessionStoreService.login()`: a new key, one write), none signs out (the row
   * is deleted). An object replaced by `regenerate()` or `reload()`, or whose session ended
   * meanwhile, has nothing left to bring.
   */
  async sync(object: ExpressSessionApi): Promise<void> {
    if (!isCurrent(object)) return;
    const state = object[STATE];
    const session = state.handle.session!;
    this.copyData(object);
    const user = passportUser(object, this.options);
    if (user !== undefined && user !== session.userId) {
      if (user === null) {
        await this.store.logout(session);
        state.savedJson = '{}';
      } else {
        const switching = session.userId !== null;
        await this.store.login(session, user);
        if (switching) {
          // login() starts another user's session afresh; the app's data stays, as express-session keeps it.
          state.savedJson = '{}';
          this.copyData(object);
        }
      }
    }
    state.sessionId = session.id;
  }

  cookie(object: ExpressSessionApi): ExpressSessionCookie {
    const { handle } = object[STATE];
    const session = handle.session!;
    return new ExpressSessionCookie(
      session,
      {
        path: this.options.cookiePath,
        domain: this.options.cookieDomain,
        httpOnly: true,
        secure: this.options.secure === 'auto' ? handle.secure : this.options.secure,
        sameSite: this.options.sameSite,
      },
      this.options.expireAtBrowserClose ? null : this.options.maxAge,
      () => this.lifetime.cookieExpiry(session),
    );
  }

  private expose(object: ExpressSessionApi): void {
    const { handle, request } = object[STATE];
    handle.sessionObject = object;
    request.session = object;
  }

  /** Replaces the session's data with the object's, when they differ. */
  private copyData(object: ExpressSessionApi): void {
    const state = object[STATE];
    const json = JSON.stringify(object);
    if (json === state.savedJson) return;
    const session = state.handle.session!;
    session.clear();
    for (const [name, value] of Object.entries(JSON.parse(json) as Record<string, unknown>)) session.set(name, value);
    state.savedJson = json;
  }
}

/** Sets Nest's request hook (the adapter keeps one), after a hook the app set before, which it keeps. */
function addRequestHook(adapter: HttpAdapterLike, hook: RequestHook): void {
  const previous = adapter.onRequestHook;
  if (!previous) {
    adapter.setOnRequestHook(hook);
    return;
  }
  adapter.setOnRequestHook((request, response, done) => {
    const result = previous.call(adapter, request, response, (error?: unknown) => (error ? done(error) : hook(request, response, done)));
    if (result instanceof Promise) result.catch(done);
  });
}

/**
 * Whether the object still stands for the request's session: not replaced (`regenerate()`,
 * `reload()`, `destroy()`), and its session not ended since (through the sessions API, or
 * elsewhere), which must not be signed in again from the data the object still holds.
 */
function isCurrent(object: ExpressSessionApi): boolean {
  const { handle, sessionId } = object[STATE];
  return handle.sessionObject === object && !(sessionId !== null && handle.session!.id === null);
}

/**
 * The user Passport keeps in the data (`passport.user`): the id itself, or the `id` of the
 * object a serializer gave; null once Passport signed out; undefined when the data has no
 * Passport key (the session's user is then left as it is).
 */
function passportUser(object: ExpressSessionApi, options: ResolvedUserSessionsOptions): UserId | null | undefined {
  const passport = object[PASSPORT_KEY];
  if (passport === undefined) return undefined;
  const user = typeof passport === 'object' && passport !== null ? (passport as { user?: unknown }).user : undefined;
  if (user === undefined || user === null || user === false) return null;
  const id = typeof user === 'object' ? (user as { id?: unknown }).id : user;
  if (id === undefined) {
    throw new TypeError(
      'passport.user must be the user\'s id, or an object with an "id": the session is listed under that user. ' +
        'Make serializeUser() give user.id (or an object that has it).',
    );
  }
  return normalizeUserId(id, options.userIdType);
}
