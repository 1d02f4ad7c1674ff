import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  Injectable,
  Module,
  Param,
  Post,
  Req,
  StreamableFile,
  UnauthorizedException,
  UseGuards,
  type INestApplication,
  type ModuleMetadata,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource, type Logger as TypeOrmLogger, type Repository } from 'typeorm';
import { afterAll, beforeAll } from 'vitest';
import {
  Session,
  CurrentSession,
  RequestSessionService,
  CurrentUserId,
  SessionStoreService,
  UserSession,
  UserSessionsGuard,
  UserSessionsModule,
  type UserSessionsModuleOptions,
} from '../../lib/index.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { createTestApplication, type TestPlatform } from './platforms.js';

/** How a test app is made besides its module options. */
export interface TestAppSetup {
  /** @default 'express' */
  platform?: TestPlatform;
  /**
   * A proxy to trust, such as `'loopback'`: Express's `trust proxy` setting, or Fastify's
   * `trustProxy` option (which Fastify takes only when the app is created).
   */
  trustProxy?: boolean | string;
  /** Called on the app before it listens. */
  configure?: (app: INestApplication) => void;
  /** The TypeORM logger (a subclass may record more than the statements). */
  queries?: QueryCounter;
}

/** Counts the SQL statements TypeORM sends, to check what a request costs. */
@Injectable()
export class QueryCounter implements TypeOrmLogger {
  readonly statements: string[] = [];
  logQuery(query: string): void {
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  /** Statements about the session table since `reset()`. */
  sessionStatements(table = 'user_sessions'): string[] {
    return this.statements.filter((statement) => statement.includes(table));
  }
  reset(): void {
    this.statements.length = 0;
  }
}

/**
 * The user id a login body names: a string of 1 to 255 printable characters, or a safe
 * integer; anything else is the client's mistake, a 400, as an app that validates its input
 * answers. (Checked by hand, not with a ValidationPipe: class-transformer overflows the stack
 * on JSON nested ~2,000 deep, a 500.)
 */
function loginUserId(body: unknown): string | number {
  const userId = (body as { userId?: unknown } | undefined)?.userId;
  if (typeof userId === 'number' && Number.isSafeInteger(userId)) return userId;
  if (typeof userId === 'string' && userId.length > 0 && userId.length <= 255 && !/[\p{Cc}\p{Cs}]/u.test(userId)) {
    return userId;
  }
  throw new BadRequestException(['userId must be a string of 1 to 255 printable characters or a whole number']);
}

/** Largest value `POST /data` stores, as JSON: session data must fit its 64 KiB column. */
const MAX_VALUE_BYTES = 8192;

/** The name and value of a `POST /data` body; junk is a 400. */
function dataEntry(body: unknown): { name: string; value: unknown } {
  const { name, value } = (body ?? {}) as { name?: unknown; value?: unknown };
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new BadRequestException(['name must be a string of 1 to 200 characters']);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // Nested deeper than the stack.
  }
  if (value !== undefined && (json === undefined || Buffer.byteLength(json) > MAX_VALUE_BYTES)) {
    throw new BadRequestException([`value must be JSON of at most ${MAX_VALUE_BYTES} bytes`]);
  }
  return { name, value };
}

/** A small app's own routes that use the session the way apps do. */
@Controller()
class DemoController {
  constructor(private readonly store: SessionStoreService) {}

  @Post('login')
  async login(@Body() body: unknown, @CurrentSession() session: UserSession) {
    // endSession: the session a user chose to end when the sign-in was refused for the session limit.
    const endSession = (body as { endSession?: unknown } | undefined)?.endSession;
    await this.store.login(session, loginUserId(body), typeof endSession === 'string' ? { endSession } : {});
    return { userId: session.userId };
  }

  /** Signs in from a route that sets a cookie and a Vary of its own. */
  @Post('login-with-headers')
  @Header('Set-Cookie', 'theme=dark; Path=/')
  @Header('Vary', 'Accept')
  async loginWithHeaders(@Body() body: unknown, @CurrentSession() session: UserSession) {
    await this.store.login(session, loginUserId(body));
    return { userId: session.userId };
  }

  /** Signs in after a middleware has set a cookie on the Node.js response (see `DemoModule`). */
  @Post('login-after-middleware-cookie')
  async loginAfterMiddlewareCookie(@Body() body: unknown, @CurrentSession() session: UserSession) {
    await this.store.login(session, loginUserId(body));
    return { userId: session.userId };
  }

  /** The password was entered again (the app checked it): "sudo mode" starts now. */
  @Post('reauthenticate')
  @HttpCode(204)
  async reauthenticate(@CurrentSession() session: UserSession) {
    if (!(await this.store.reauthenticate(session))) throw new UnauthorizedException();
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentSession() session: UserSession) {
    await this.store.logout(session);
  }

  @Get('me')
  @UseGuards(UserSessionsGuard)
  me(@CurrentUserId() userId: string | number) {
    return { userId };
  }

  /** What the guard left on the request for code written for Passport. */
  @Get('me/user')
  @UseGuards(UserSessionsGuard)
  meUser(@Req() request: { user?: unknown }) {
    return { user: request.user };
  }

  /** GET /me that answers 5 ms after its session was loaded: a wide window for a race. */
  @Get('me-slowly')
  @UseGuards(UserSessionsGuard)
  async meSlowly(@CurrentUserId() userId: string | number) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { userId };
  }

  @Post('login-then-refuse')
  async loginThenRefuse(@Body() body: unknown, @CurrentSession() session: UserSession) {
    await this.store.login(session, loginUserId(body));
    throw new ForbiddenException('signed in, but this step is refused');
  }

  @Post('data-then-crash')
  crashAfterSettingData(@CurrentSession() session: UserSession) {
    session.set('half-done', true);
    throw new Error('crash');
  }

  /** Sets session data and streams the answer: its body is written before the response ends. */
  @Post('data-streamed')
  streamData(@CurrentSession() session: UserSession) {
    session.set('streamed', true);
    return new StreamableFile(Readable.from([Buffer.from('a'), Buffer.from('b')]), { type: 'text/plain' });
  }

  @Get('public')
  open() {
    return { ok: true };
  }

  @Post('data')
  setData(@Body() body: unknown, @CurrentSession() session: UserSession) {
    const { name, value } = dataEntry(body);
    session.set(name, value);
    return { ok: true };
  }

  @Get('data/:name')
  getData(@Param('name') name: string, @CurrentSession() session: UserSession) {
    return { value: session.get(name) ?? null };
  }

  /** Appends `value` to the list `name` in a signed-in session; answers the whole list. */
  @Post('append')
  @UseGuards(UserSessionsGuard)
  append(@Body() body: { name: string; value: unknown }, @CurrentSession() session: UserSession) {
    const list = [...(session.get<unknown[]>(body.name) ?? []), body.value];
    session.set(body.name, list);
    return { list };
  }
}

export interface TestApp {
  app: INestApplication;
  url: string;
  store: SessionStoreService;
  /** The per-request session service, for tests that hand it a request of their own. */
  requests: RequestSessionService;
  queries: QueryCounter;
  close(): Promise<void>;
}

/**
 * Starts the app on a random loopback port over `database`. `setup` is the platform and proxy
 * (see `TestAppSetup`), or, as before platforms, a function that configures an Express app.
 * `queries` is its TypeORM logger (a subclass may record more than the statements).
 * `imports` are more modules for the app (`EventEmitterModule.forRoot()`, say).
 */
export async function startTestApp(
  database: TestDatabase,
  options: UserSessionsModuleOptions = {},
  setup: TestAppSetup | ((app: NestExpressApplication) => void) = {},
  queries?: QueryCounter,
  imports: NonNullable<ModuleMetadata['imports']> = [],
): Promise<TestApp> {
  const { platform, trustProxy, configure, queries: logger = queries ?? new QueryCounter() } =
    typeof setup === 'function' ? { configure: setup as (app: INestApplication) => void } : setup;

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...database.options,
        autoLoadEntities: true,
        synchronize: true,
        logger,
      } as Parameters<typeof TypeOrmModule.forRoot>[0]),
      UserSessionsModule.forRoot(options),
      ...imports,
    ],
    controllers: [DemoController],
  })
  class DemoModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      // As a consent banner's middleware might: straight on the Node.js response, on both platforms.
      consumer
        .apply((_request: unknown, response: ServerResponse, next: () => void) => {
          response.setHeader('Set-Cookie', ['consent=yes; Path=/']);
          next();
        })
        .forRoutes('login-after-middleware-cookie');
    }
  }

  const moduleRef = await Test.createTestingModule({ imports: [DemoModule] }).compile();
  const app = await createTestApplication(moduleRef, { platform, trustProxy });
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    store: app.get(SessionStoreService),
    requests: app.get(RequestSessionService),
    queries: logger,
    close: () => app.close(),
  };
}

/** A test app over a fresh database of `kind` for the whole file, with its session table. */
export type TestAppContext = TestApp & { sessions: Repository<Session> };

/** Starts the app before the file's tests and drops its database after them. */
export function useTestApp(
  kind: DatabaseKind,
  options: UserSessionsModuleOptions = {},
  setup: TestAppSetup | ((app: NestExpressApplication) => void) = {},
): TestAppContext {
  const context = {} as TestAppContext;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    Object.assign(context, await startTestApp(database, options, setup));
    context.sessions = context.app.get(DataSource).getRepository(Session);
  });
  afterAll(async () => {
    await context.close?.();
    await database?.drop();
  });
  return context;
}

/** The `sessionid` value a response sets, or undefined. */
export function sessionCookie(setCookie: string | string[] | undefined, name = 'sessionid'): string | undefined {
  const headers = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const header = headers.find((value) => value.startsWith(`${name}=`));
  return header?.slice(name.length + 1).split(';')[0];
}
