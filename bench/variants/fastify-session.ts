/**
 * `fastify-session`: `@fastify/session` with `@fastify/cookie` on `@nestjs/platform-fastify`, as
 * its README sets it up, with the store it points SQL users to: an express-session store, here
 * connect-typeorm (the same as the express-session variants). `GET /me` reads the user id from
 * `request.session`. Its defaults stand: `rolling: true` saves the session on every response.
 * Sessions are signed in through the plugin itself (`POST /sign-in/:index`, before the load).
 */
import { Controller, Get, Param, Post, Req, UnauthorizedException } from '@nestjs/common';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { Session } from '../../lib/index.js';
import { ConnectTypeormSession } from '../../test/support/connect-typeorm-session.js';
import type { BenchDatabase, VariantName } from '../protocol.js';
import { BenchAppModule, createFastifyApp, HelloController, journalNote, typeOrm, userIdFor, type StartedVariant, type VariantOptions } from './common.js';
import { connectTypeormNotes, connectTypeormStore } from './connect-typeorm-store.js';

const SECRET = 'nestjs-user-sessions bench secret, 32+ characters long';

declare module 'fastify' {
  interface Session {
    userId?: string;
  }
}

@Controller()
class FastifySessionController {
  @Get('me')
  me(@Req() request: FastifyRequest) {
    const userId = request.session.get('userId');
    if (!userId) throw new UnauthorizedException();
    return { userId };
  }

  @Post('sign-in/:userId')
  signIn(@Req() request: FastifyRequest, @Param('userId') userId: string) {
    request.session.set('userId', userId);
    return { userId };
  }
}

export async function startFastifySession(variant: VariantName, database: BenchDatabase, { sessions }: VariantOptions): Promise<StartedVariant> {
  const app = await createFastifyApp({
    module: BenchAppModule,
    imports: [typeOrm(database, [Session, ConnectTypeormSession])],
    controllers: [HelloController, FastifySessionController],
  });
  const dataSource = app.get(DataSource);
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SECRET,
    store: connectTypeormStore(dataSource, database.kind),
    saveUninitialized: false,
    // Plain HTTP on loopback: its default `secure: true` would keep the cookie from being set.
    cookie: { secure: false },
  });
  await app.listen(0, '127.0.0.1');
  const cookies: string[] = [];
  for (let index = 0; index < sessions; index++) {
    const response = await app.inject({ method: 'POST', url: `/sign-in/${userIdFor(variant, index)}` });
    const setCookie = response.headers['set-cookie'];
    const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
    if (response.statusCode !== 201 || !cookie) throw new Error(`fastify-session: sign-in answered ${response.statusCode} without a cookie`);
    cookies.push(cookie);
  }
  return {
    app,
    dataSource,
    ready: {
      route: { method: 'GET', path: '/me' },
      cookies,
      expectBody: JSON.stringify({ userId: userIdFor(variant, 0) }),
      bodyContains: `"userId":"${variant}-user-`,
      anonymousStatus: 401,
      notes: `@fastify/session (saveUninitialized false, cookie.secure false; rolling true, its default) + @fastify/cookie + ${connectTypeormNotes(
        database.kind,
      )}${journalNote(database)}`,
    },
  };
}
