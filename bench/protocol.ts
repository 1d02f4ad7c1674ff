/**
 * What the bench's parent (`run.ts`) and its variant children (`server.ts`) say to each other
 * over the `child_process.fork` IPC channel, and the names both sides share.
 */
import type { StatementCounts } from './statement-counter.js';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mariadb';

export const DATABASE_LABELS: Record<DatabaseKind, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  mariadb: 'MariaDB',
};

/** The one user agent every measured request sends, so that it matches the stored rows. */
export const BENCH_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** The IP autocannon connects from (127.0.0.1 only), as stored on the sessions. */
export const BENCH_IP = '127.0.0.1';

/** Every app the bench can start (`variants/index.ts` says what each is); `variantsFor()` says where each runs. */
export const VARIANT_NAMES = [
  'bare',
  'floor',
  'module-read',
  'module-read-redis',
  'module-read-fastify',
  'module-write',
  'module-write-wal',
  'module-end',
  'express-session',
  'express-session-default',
  'express-session-wal',
  'express-session-write',
  'express-session-write-default',
  'express-session-write-wal',
  'fastify-session',
  'better-auth-read',
  'better-auth-cookie-cache',
  'better-auth-end',
  'graphql-bare',
  'graphql-floor',
  'module-graphql',
  'websocket-bare',
  'module-websocket',
] as const;

export type VariantName = (typeof VARIANT_NAMES)[number];

/**
 * The variants measured on a database, in the order of each round. On SQLite, express-session
 * and the module's writes run on both journals: TypeORM's default (rollback) and WAL, so that
 * each write is compared on the same one. The Redis cache runs on SQLite and PostgreSQL when
 * Redis answers (`redis`); better-auth on SQLite and PostgreSQL, through its own adapter.
 */
export function variantsFor(kind: DatabaseKind, redis = true): VariantName[] {
  const cached: VariantName[] = redis && kind !== 'mariadb' ? ['module-read-redis'] : [];
  const betterAuth: VariantName[] = kind === 'mariadb' ? [] : ['better-auth-read', 'better-auth-cookie-cache', 'better-auth-end'];
  const fastify: VariantName[] = ['module-read-fastify', 'fastify-session'];
  const live: VariantName[] = ['graphql-bare', 'graphql-floor', 'module-graphql', 'websocket-bare', 'module-websocket'];
  return kind === 'sqlite'
    ? [
        'bare',
        'floor',
        'module-read',
        ...cached,
        'express-session-default',
        'express-session-wal',
        'module-write',
        'express-session-write-default',
        'module-write-wal',
        'express-session-write-wal',
        'module-end',
        ...betterAuth,
        ...fastify,
        ...live,
      ]
    : ['bare', 'floor', 'module-read', ...cached, 'express-session', 'module-write', 'express-session-write', 'module-end', ...betterAuth, ...fastify, ...live];
}

/** The journal a SQLite variant runs on: WAL for the `-wal` variants, TypeORM's default (rollback) for the others. */
export function usesWal(variant: VariantName): boolean {
  return variant.endsWith('-wal');
}

/** The database a child connects to: the second argument of `server.js`, as JSON. */
export interface BenchDatabase {
  kind: DatabaseKind;
  /** TypeORM connection options (type, host, database…), without entities. */
  typeorm: Record<string, unknown>;
}

/** The one kind of request a variant is measured with. */
export interface RouteSpec {
  /** `WS`: messages on WebSockets opened at `path`, one connection per cookie, `body` each (see `websocket-load.ts`). */
  method: 'GET' | 'POST' | 'DELETE' | 'WS';
  /** May hold `{id}`: each request takes the next of the variant's `ids`. */
  path: string;
  /** A JSON body, sent with `Content-Type: application/json`; may hold `{id}` too. For `WS`, the message. */
  body?: string;
  /** Send `Origin: http://127.0.0.1:<port>`, as a browser does on a same-origin POST or DELETE. */
  sameOrigin?: boolean;
}

/** Sent once by a child when its app listens and its sessions exist. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
  route: RouteSpec;
  /** `Cookie` header values, one per autocannon connection (round-robin); empty for `bare`. */
  cookies: string[];
  /**
   * For a route with `{id}`: what each request names, used once each, in order (the sessions
   * a request ends). The child hands out a fresh list before each window.
   */
  ids?: string[];
  /** Exact body the first cookie's request must get (checked once before measuring). */
  expectBody: string;
  /** Its status, when not 200 (a DELETE's 204). */
  expectStatus?: number;
  /** Substring every measured response body must contain. */
  bodyContains: string;
  /** Status the route must answer without a cookie (for `WS`, the close code), or null when it is public. */
  anonymousStatus: number | null;
  /** What the child's app is, in words (journal mode, store options…), for the report. */
  notes: string;
}

/** A child's counters since its last reset. */
export interface SampleMessage {
  type: 'sample';
  id: number;
  statements: StatementCounts;
  /** HTTP requests that reached the server (the `request` event), measured route or not. */
  requests: number;
  /** `process.memoryUsage().rss` when asked, right after the load: bytes. */
  rss: number;
  /** Highest RSS seen (sampled every 50 ms) since the last reset: bytes. */
  peakRss: number;
  /** RSS and V8 heap in use after a full GC (`--expose-gc`), taken after `rss`: bytes. */
  rssAfterGc: number;
  heapUsedAfterGc: number;
  /** CPU time (user + system) this process used since the last reset: microseconds. */
  cpuMicros: number;
  /** What the child's own check after the window found wrong (e.g. a session that was not ended). */
  problems: string[];
}

/** What a child hands the parent before a window, when its requests need new values. */
export interface WindowSetup {
  /** Replaces `ReadyMessage.cookies` (better-auth's cookie cache expires after 5 minutes). */
  cookies?: string[];
  /** Replaces `ReadyMessage.ids`. */
  ids?: string[];
}

export type ParentMessage =
  | { type: 'reset'; id: number }
  | { type: 'sample'; id: number }
  | { type: 'stop' };

export type ChildMessage =
  | ReadyMessage
  | ({ type: 'reset-done'; id: number; error?: string } & WindowSetup)
  | SampleMessage
  | { type: 'failed'; message: string };
