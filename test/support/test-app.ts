import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  Injectable,
  Module,
  Param,
  Post,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource, type Logger as TypeOrmLogger, type Repository } from 'typeorm';
import { afterAll, beforeAll } from 'vitest';
import {
  Session,
  CurrentSession,
  CurrentUserId,
  SessionStoreService,
  UserSession,
  UserSessionsGuard,
  UserSessionsModule,
  type UserSessionsModuleOptions,
} from '../../lib/index.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';

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

/** A small app's own routes that use the session the way apps do. */
@Controller()
class DemoController {
  constructor(private readonly store: SessionStoreService) {}

  @Post('login')
  async login(@Body() body: { userId: string | number }, @CurrentSession() session: UserSession) {
    await this.store.login(session, body.userId);
    return { userId: session.userId };
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

  /** GET /me that answers 5 ms after its session was loaded: a wide window for a race. */
  @Get('me-slowly')
  @UseGuards(UserSessionsGuard)
  async meSlowly(@CurrentUserId() userId: string | number) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { userId };
  }

  @Post('login-then-refuse')
  async loginThenRefuse(@Body() body: { userId: string }, @CurrentSession() session: UserSession) {
    await this.store.login(session, body.userId);
    throw new ForbiddenException('signed in, but this step is refused');
  }

  @Post('data-then-crash')
  crashAfterSettingData(@CurrentSession() session: UserSession) {
    session.set('half-done', true);
    throw new Error('crash');
  }

  @Get('public')
  open() {
    return { ok: true };
  }

  @Post('data')
  setData(@Body() body: { name: string; value: unknown }, @CurrentSession() session: UserSession) {
    session.set(body.name, body.value);
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
  queries: QueryCounter;
  close(): Promise<void>;
}

/** Starts the app on a random loopback port over `database`. */
export async function startTestApp(
  database: TestDatabase,
  options: UserSessionsModuleOptions = {},
  configure?: (app: NestExpressApplication) => void,
): Promise<TestApp> {
  const queries = new QueryCounter();

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...database.options,
        autoLoadEntities: true,
        synchronize: true,
        logger: queries,
      } as Parameters<typeof TypeOrmModule.forRoot>[0]),
      UserSessionsModule.forRoot(options),
    ],
    controllers: [DemoController],
  })
  class DemoModule {}

  const moduleRef = await Test.createTestingModule({ imports: [DemoModule] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error'] });
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    store: app.get(SessionStoreService),
    queries,
    close: () => app.close(),
  };
}

/** A test app over a fresh database of `kind` for the whole file, with its session table. */
export type TestAppContext = TestApp & { sessions: Repository<Session> };

/** Starts the app before the file's tests and drops its database after them. */
export function useTestApp(
  kind: DatabaseKind,
  options: UserSessionsModuleOptions = {},
  configure?: (app: NestExpressApplication) => void,
): TestAppContext {
  const context = {} as TestAppContext;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    Object.assign(context, await startTestApp(database, options, configure));
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
