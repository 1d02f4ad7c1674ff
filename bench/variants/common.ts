/** What every variant's app shares: the root module, the TypeORM connection, names and helpers. */
import { Controller, Get, Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { BenchDatabase, ReadyMessage, VariantName, WindowSetup } from '../protocol.js';

export const SESSION_COOKIE = 'sessionid';

/** What `startVariant()` hands back: the listening app and what the parent must know. */
export interface StartedVariant {
  app: INestApplication;
  dataSource: DataSource;
  ready: Omit<ReadyMessage, 'type' | 'port'>;
  /** Run before each measured window (outside it); may hand out the window's cookies or ids. */
  beforeMeasure?: () => Promise<WindowSetup | void>;
  /** Run after each window with the requests the server received in it: what is wrong, if anything. */
  afterMeasure?: (requests: number) => Promise<string[]>;
  /** A WebSocket variant: the messages its gateway answered since it started (they are its requests). */
  messagesAnswered?: () => number;
}

@Controller()
export class HelloController {
  @Get('hello')
  hello() {
    return { ok: true };
  }
}

/** The root module of every variant; each adds its imports and controllers. */
@Module({})
export class BenchAppModule {}

export function typeOrm(database: BenchDatabase, entities: Type<unknown>[]): DynamicModule {
  return TypeOrmModule.forRoot({
    ...database.typeorm,
    entities,
    synchronize: true,
    logging: false,
  } as TypeOrmModuleOptions);
}

export function userIdFor(variant: VariantName, index: number): string {
  return `${variant}-user-${index}`;
}

/** The value of the first `name` cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

export async function createApp(module: DynamicModule, options: { bodyParser?: boolean } = {}): Promise<NestExpressApplication> {
  return NestFactory.create<NestExpressApplication>(module, { logger: ['error', 'warn'], ...options });
}

export async function createFastifyApp(module: DynamicModule): Promise<NestFastifyApplication> {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: ['error', 'warn'] });
}

/** The variant's journal, for its notes: SQLite only. */
export function journalNote(database: BenchDatabase): string {
  if (database.kind !== 'sqlite') return '';
  return database.typeorm.enableWAL ? ', WAL journal' : ', default (rollback) journal';
}

/**
 * How many sessions an "end a session" variant seeds for one window: more than it can end in
 * `windowSeconds` (a run that uses them all up is INVALID and says so).
 */
export function sessionsToEnd(windowSeconds: number): number {
  return Math.ceil(windowSeconds * 6000);
}

/** Sessions per variant (one per autocannon connection) and the length of a measured window. */
export interface VariantOptions {
  sessions: number;
  windowSeconds: number;
}

/**
 * Rows per INSERT when a variant writes sessions in bulk: under SQLite's 32,766 bound values per
 * statement, and PostgreSQL's 65,535, for rows of up to 14 columns.
 */
export const INSERT_BATCH = 500;

/**
 * The check after a window whose requests each end one session: exactly one session fewer than
 * before it per request the server received.
 */
export async function checkSessionsEnded(countLeft: () => Promise<number>, beforeWindow: number, requests: number): Promise<string[]> {
  const left = await countLeft();
  const expected = beforeWindow - requests;
  return left === expected ? [] : [`${left} sessions left after ${requests} requests, expected ${expected}`];
}
