/**
 * `floor`: a Nest middleware that parses the `sessionid` cookie, hashes it with SHA-256 and runs
 * ONE raw prepared primary-key SELECT on `user_sessions`, below TypeORM; `GET /me` returns the
 * row's user id. The least any database session layer can cost.
 */
import { createHash } from 'node:crypto';
import { Controller, Get, Injectable, Module, Req, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { Session } from '../../lib/index.js';
import type { BenchDatabase, VariantName } from '../protocol.js';
import {
  BenchAppModule,
  createApp,
  HelloController,
  journalNote,
  readCookie,
  SESSION_COOKIE,
  typeOrm,
  userIdFor,
  type StartedVariant,
  type VariantOptions,
} from './common.js';
import { insertSessionRows } from './session-rows.js';

type Row = Record<string, unknown>;
type FindRow = (digest: string) => Promise<Row | undefined>;

export interface FloorRequest extends Request {
  floorSession?: { row: Row; userId: unknown };
}

/**
 * One prepared primary-key SELECT of every column of the session row, on the driver that
 * TypeORM opened (no query runner, no entity mapping).
 */
function floorFinder(dataSource: DataSource): FindRow {
  const metadata = dataSource.getMetadata(Session);
  const driver = dataSource.driver as unknown as Record<string, unknown> & { escape(name: string): string };
  const table = driver.escape(metadata.tableName);
  const columns = metadata.columns.map((column) => driver.escape(column.databaseName)).join(', ');
  const key = driver.escape(metadata.primaryColumns[0].databaseName);
  switch (dataSource.options.type) {
    case 'better-sqlite3': {
      const connection = driver.databaseConnection as { prepare(sql: string): { get(...values: unknown[]): unknown } };
      const statement = connection.prepare(`SELECT ${columns} FROM ${table} WHERE ${key} = ?`);
      return async (digest) => statement.get(digest) as Row | undefined;
    }
    case 'postgres': {
      const pool = driver.master as { query(config: object): Promise<{ rows: Row[] }> };
      const text = `SELECT ${columns} FROM ${table} WHERE ${key} = $1`;
      return async (digest) => (await pool.query({ name: 'bench_floor_find', text, values: [digest] })).rows[0];
    }
    case 'mariadb':
    case 'mysql': {
      type Execute = (sql: string, values: unknown[], callback: (error: Error | null, rows: Row[]) => void) => void;
      const pool = driver.pool as { execute: Execute };
      const sql = `SELECT ${columns} FROM ${table} WHERE ${key} = ?`;
      return (digest) =>
        new Promise((resolve, reject) =>
          pool.execute(sql, [digest], (error, rows) => (error ? reject(error) : resolve(rows[0]))),
        );
    }
    default:
      throw new Error(`floor: no raw query for ${dataSource.options.type}`);
  }
}

@Injectable()
export class FloorSessionMiddleware implements NestMiddleware {
  private readonly find: FindRow;
  private readonly userIdColumn: string;

  constructor(dataSource: DataSource) {
    this.find = floorFinder(dataSource);
    this.userIdColumn = dataSource.getMetadata(Session).findColumnWithPropertyName('userId')!.databaseName;
  }

  async use(request: FloorRequest, response: Response, next: NextFunction): Promise<void> {
    try {
      const key = readCookie(request.headers.cookie, SESSION_COOKIE);
      const row = key ? await this.find(createHash('sha256').update(key).digest('hex')) : undefined;
      if (!row) {
        response.status(401).json({ statusCode: 401, message: 'Unauthorized' });
        return;
      }
      request.floorSession = { row, userId: row[this.userIdColumn] };
      next();
    } catch (error) {
      next(error);
    }
  }
}

@Controller()
class FloorController {
  @Get('me')
  me(@Req() request: FloorRequest) {
    return { userId: request.floorSession!.userId };
  }
}

@Module({ controllers: [FloorController], providers: [FloorSessionMiddleware] })
class FloorModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FloorSessionMiddleware).forRoutes(FloorController);
  }
}

export async function startFloor(variant: VariantName, database: BenchDatabase, { sessions }: VariantOptions): Promise<StartedVariant> {
  const app = await createApp({
    module: BenchAppModule,
    imports: [typeOrm(database, [Session]), FloorModule],
    controllers: [HelloController],
  });
  const dataSource = app.get(DataSource);
  const { keys } = await insertSessionRows(dataSource, sessions, (index) => userIdFor(variant, index));
  await app.listen(0, '127.0.0.1');
  return {
    app,
    dataSource,
    ready: {
      route: { method: 'GET', path: '/me' },
      cookies: keys.map((key) => `${SESSION_COOKIE}=${key}`),
      expectBody: JSON.stringify({ userId: userIdFor(variant, 0) }),
      bodyContains: `"userId":"${variant}-user-`,
      anonymousStatus: 401,
      notes: `cookie parse + SHA-256 + one raw prepared primary-key SELECT${journalNote(database)}`,
    },
  };
}
