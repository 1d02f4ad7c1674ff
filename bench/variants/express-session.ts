/**
 * express-session + connect-typeorm, as connect-typeorm's README sets it up:
 *
 * - `express-session`, `-default`, `-wal`: `GET /me` reads `req.session.userId`; the store
 *   touches (UPDATEs) the row on every request. `-default` and `-wal` are SQLite's two journals.
 * - `express-session-write`, `-write-default`, `-write-wal`: `POST /write` sets a session key on
 *   every request, the counterpart of `module-write`.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Controller, Get, HttpCode, Post, Req, UnauthorizedException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import expressSession from 'express-session';
import type { TypeormStore } from 'connect-typeorm';
import { DataSource } from 'typeorm';
import { Session } from '../../lib/index.js';
import { ConnectTypeormSession } from '../../test/support/connect-typeorm-session.js';
import type { BenchDatabase, VariantName } from '../protocol.js';
import { BenchAppModule, createApp, HelloController, journalNote, typeOrm, userIdFor, type StartedVariant, type VariantOptions } from './common.js';
import { connectTypeormNotes, connectTypeormStore } from './connect-typeorm-store.js';

const EXPRESS_SESSION_SECRET = 'nestjs-user-sessions bench secret';

declare module 'express-session' {
  interface SessionData {
    userId: string;
    n: number;
  }
}

function signedInUser(request: Request): string {
  const userId = request.session?.userId;
  if (!userId) throw new UnauthorizedException();
  return userId;
}

@Controller()
class ExpressSessionController {
  private writes = 0;

  @Get('me')
  me(@Req() request: Request) {
    return { userId: signedInUser(request) };
  }

  @Post('write')
  @HttpCode(200)
  write(@Req() request: Request) {
    const userId = signedInUser(request);
    request.session.n = ++this.writes;
    return { userId };
  }
}

/** express-session's own `cookie-signature`, whichever copy it resolves. */
function cookieSignature(): { sign(value: string, secret: string): string } {
  const fromExpressSession = createRequire(createRequire(import.meta.url).resolve('express-session'));
  return fromExpressSession('cookie-signature') as { sign(value: string, secret: string): string };
}

/**
 * Sessions stored through the store's own `set()`, with browser-session cookies (no
 * `expires`: connect-typeorm's `touch()` calls back twice when the cookie has one), and the
 * signed `connect.sid` values express-session expects.
 */
async function seedExpressSessions(store: TypeormStore, variant: VariantName, count: number): Promise<string[]> {
  const { sign } = cookieSignature();
  const set = promisify(store.set) as (sid: string, session: object) => Promise<void>;
  const cookies: string[] = [];
  for (let index = 0; index < count; index++) {
    const sid = randomBytes(24).toString('base64url');
    await set(sid, {
      cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' },
      userId: userIdFor(variant, index),
    });
    cookies.push(`connect.sid=${encodeURIComponent(`s:${sign(sid, EXPRESS_SESSION_SECRET)}`)}`);
  }
  return cookies;
}

export async function startExpressSession(variant: VariantName, database: BenchDatabase, { sessions }: VariantOptions): Promise<StartedVariant> {
  const app: NestExpressApplication = await createApp({
    module: BenchAppModule,
    imports: [typeOrm(database, [Session, ConnectTypeormSession])],
    controllers: [HelloController, ExpressSessionController],
  });
  const dataSource = app.get(DataSource);
  const store = connectTypeormStore(dataSource, database.kind);
  app.use(expressSession({ secret: EXPRESS_SESSION_SECRET, resave: false, saveUninitialized: false, store }));
  const cookies = await seedExpressSessions(store, variant, sessions);
  await app.listen(0, '127.0.0.1');
  const writes = variant.startsWith('express-session-write');
  return {
    app,
    dataSource,
    ready: {
      route: writes ? { method: 'POST', path: '/write' } : { method: 'GET', path: '/me' },
      cookies,
      expectBody: JSON.stringify({ userId: userIdFor(variant, 0) }),
      bodyContains: `"userId":"${variant}-user-`,
      anonymousStatus: 401,
      notes: `express-session (resave false, saveUninitialized false) + ${connectTypeormNotes(database.kind)}${
        writes ? ', req.session.n set on every request' : ''
      }${journalNote(database)}`,
    },
  };
}
