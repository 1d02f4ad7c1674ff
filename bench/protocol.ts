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

/** Every app the bench can start; `variantsFor()` says which run on which database. */
export type VariantName =
  | 'bare'
  | 'floor'
  | 'module-read'
  | 'module-read-redis'
  | 'express-session'
  | 'express-session-default'
  | 'express-session-wal'
  | 'module-write';

export const VARIANT_NAMES: readonly VariantName[] = [
  'bare',
  'floor',
  'module-read',
  'module-read-redis',
  'express-session',
  'express-session-default',
  'express-session-wal',
  'module-write',
];

/**
 * The variants measured on a database, in the order of each round. SQLite gets two
 * express-session runs: TypeORM's default rollback journal and WAL. The Redis cache runs on
 * SQLite and PostgreSQL, when Redis answers (`redis`).
 */
export function variantsFor(kind: DatabaseKind, redis = true): VariantName[] {
  const cached: VariantName[] = redis && kind !== 'mariadb' ? ['module-read-redis'] : [];
  return kind === 'sqlite'
    ? ['bare', 'floor', 'module-read', ...cached, 'express-session-default', 'express-session-wal', 'module-write']
    : ['bare', 'floor', 'module-read', ...cached, 'express-session', 'module-write'];
}

/** The database a child connects to: the second argument of `server.js`, as JSON. */
export interface BenchDatabase {
  kind: DatabaseKind;
  /** TypeORM connection options (type, host, database…), without entities. */
  typeorm: Record<string, unknown>;
}

/** The one kind of request a variant is measured with. */
export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
}

/** Sent once by a child when its app listens and its sessions exist. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
  route: RouteSpec;
  /** `Cookie` header values, one per autocannon connection (round-robin); empty for `bare`. */
  cookies: string[];
  /** Exact body the first cookie's request must get (checked once before measuring). */
  expectBody: string;
  /** Substring every measured response body must contain. */
  bodyContains: string;
  /** Status the route must answer without a cookie, or null when it is public. */
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
}

export type ParentMessage =
  | { type: 'reset'; id: number }
  | { type: 'sample'; id: number }
  | { type: 'stop' };

export type ChildMessage =
  | ReadyMessage
  | { type: 'reset-done'; id: number; error?: string }
  | SampleMessage
  | { type: 'failed'; message: string };
