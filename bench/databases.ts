/**
 * The databases the bench runs on: which answer, and a fresh one per run.
 *
 * - SQLite: a temp directory with one file per variant (`<variant>.sqlite`). Separate files
 *   because WAL is a property of the file: a shared file would put every variant in WAL once
 *   a `-wal` variant opens it. Only the `-wal` variants turn WAL on (TypeORM's `enableWAL`);
 *   the others keep TypeORM's default, SQLite's rollback journal.
 * - PostgreSQL / MariaDB: one database `bench_<pid>` shared by every variant (each variant
 *   has its own users and sessions in the same `user_sessions` table; express-session uses
 *   connect-typeorm's `session`), dropped at the end. better-auth's variants have a second one,
 *   `bench_<pid>_better_auth`, since its own `session` table has the same name. TypeORM's
 *   default pools (MariaDB: mysql2 keeps idle connections).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usesWal, type BenchDatabase, type DatabaseKind, type VariantName } from './protocol.js';

/** How long a variant's idle PostgreSQL connections stay open (see `forVariant`). */
export const POOL_IDLE_MS = 1000;

const SERVERS = {
  postgres: { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432) },
  mariadb: { host: process.env.MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.MYSQL_PORT ?? 3306) },
} as const;

/** The Redis of the `module-read-redis` variant. */
export const REDIS_SERVER = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };

/** Null when the database's server answers on its port (SQLite always), else why not. */
export function probeDatabase(kind: DatabaseKind, timeoutMs = 1000): Promise<string | null> {
  if (kind === 'sqlite') return Promise.resolve(null);
  return probeTcp(SERVERS[kind], timeoutMs);
}

/** Null when Redis answers on its port, else why not. */
export function probeRedis(timeoutMs = 1000): Promise<string | null> {
  return probeTcp(REDIS_SERVER, timeoutMs);
}

function probeTcp({ host, port }: { host: string; port: number }, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port}`));
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`not reachable at ${host}:${port} (${error.code ?? error.message})`));
  });
}

/** A database made for this run. */
export interface BenchDatabaseSet {
  kind: DatabaseKind;
  /** Where it lives, for the report. */
  description: string;
  /** Connection options for a variant's child. */
  forVariant(variant: VariantName): BenchDatabase;
  drop(): Promise<void>;
}

export async function createBenchDatabase(kind: DatabaseKind): Promise<BenchDatabaseSet> {
  const name = `bench_${process.pid}`;
  switch (kind) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'user-sessions-bench-'));
      return {
        kind,
        description: `one file per variant in ${dir}`,
        forVariant: (variant) => ({
          kind,
          typeorm: {
            type: 'better-sqlite3',
            database: join(dir, `${variant}.sqlite`),
            ...(usesWal(variant) ? { enableWAL: true } : {}),
          },
        }),
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres': {
      const { default: pg } = await import('pg');
      const admin = { ...SERVERS.postgres, user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' };
      const run = async (sql: string) => {
        const client = new pg.Client(admin);
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      };
      // better-auth's `session` table would clash with connect-typeorm's: its variants get their own database.
      const names = [name, `${name}_better_auth`];
      for (const database of names) {
        await run(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await run(`CREATE DATABASE ${database}`);
      }
      return {
        kind,
        description: `database ${name} on ${admin.host}:${admin.port}, shared by the variants (better-auth's: ${names[1]})`,
        forVariant: (variant) => ({
          kind,
          typeorm: {
            type: 'postgres',
            host: admin.host,
            port: admin.port,
            username: admin.user,
            database: variant.startsWith('better-auth') ? names[1] : name,
            // Connections idle for 1 s close (pg's default is 10 s): a variant idles longer than
            // that while the others run, and `primeTarget()` opens them again before its window.
            // Kept open, 17 variants' pools pass PostgreSQL's 100 connections, as the quick run's
            // 1-s windows showed ("too many clients already").
            extra: { idleTimeoutMillis: POOL_IDLE_MS },
          },
        }),
        drop: async () => {
          for (const database of names) await run(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        },
      };
    }
    case 'mariadb': {
      const mysql = await import('mysql2/promise');
      const admin = { ...SERVERS.mariadb, user: process.env.MYSQL_USER ?? 'root', password: process.env.MYSQL_PASSWORD ?? '' };
      const run = async (sql: string) => {
        const connection = await mysql.createConnection(admin);
        try {
          await connection.query(sql);
        } finally {
          await connection.end();
        }
      };
      await run(`DROP DATABASE IF EXISTS ${name}`);
      await run(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      return {
        kind,
        description: `database ${name} on ${admin.host}:${admin.port}, shared by the variants`,
        forVariant: () => ({
          kind,
          typeorm: {
            type: 'mariadb',
            host: admin.host,
            port: admin.port,
            username: admin.user,
            password: admin.password,
            database: name,
          },
        }),
        drop: () => run(`DROP DATABASE IF EXISTS ${name}`),
      };
    }
  }
}
