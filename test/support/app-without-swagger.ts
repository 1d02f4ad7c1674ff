/*
 * Run by test/openapi.e2e-spec.ts in a child Node process, compiled to JavaScript beside a
 * node_modules that lacks @nestjs/swagger: an app that never installed it. It uses the
 * library's routes and prints what it saw as one line of JSON; the test judges it.
 */
import 'reflect-metadata';
import { Body, Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CurrentSession, SessionStoreService, UserSession, UserSessionsModule } from '../../lib/index.js';

// The premise, checked from here: this process cannot load @nestjs/swagger.
const swaggerImport = await import('@nestjs/swagger').then(
  () => 'loaded',
  (error: NodeJS.ErrnoException) => error.code ?? String(error),
);

@Controller()
class LoginController {
  constructor(private readonly store: SessionStoreService) {}

  @Post('login')
  async login(@Body() body: { userId: number }, @CurrentSession() session: UserSession) {
    await this.store.login(session, body.userId);
    return { userId: session.userId };
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', autoLoadEntities: true, synchronize: true }),
    UserSessionsModule.forRoot({ userIdType: 'number', adminPath: 'admin/sessions', isAdmin: ({ userId }) => userId === 1 }),
  ],
  controllers: [LoginController],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');

async function call(method: string, path: string, cookie?: string, body?: object) {
  const response = await fetch(url + path, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, setCookie: response.headers.get('set-cookie') };
}

const signedOut = await call('GET', '/account/sessions');
const login = await call('POST', '/login', undefined, { userId: 1 });
const cookie = login.setCookie!.split(';')[0];
const list = await call('GET', '/account/sessions', cookie);
const badId = await call('DELETE', '/account/sessions/not-an-id', cookie);
const adminList = await call('GET', '/admin/sessions?limit=500', cookie);
const adminPage = await call('GET', '/admin/sessions?limit=10', cookie);
await app.close();

console.log(JSON.stringify({ swaggerImport, signedOut, login, list, badId, adminList, adminPage }));
