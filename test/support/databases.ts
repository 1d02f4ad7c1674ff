import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { describe, inject } from 'vitest';
import { SERVICES, type ServiceName } from './services.js';

/** The databases suites run on; Redis is a service but no database. */
export type DatabaseKind = 'sqlite' | Exclude<ServiceName, 'redis'>;

/** A database made for one test file, dropped when it is done. */
export interface TestDatabase {
  kind: DatabaseKind;
  options: TypeOrmModuleOptions;
  drop(): Promise<void>;
}

/** Every database, with the reason it is skipped here (null when it runs). */
export function databaseMatrix(): { kind: DatabaseKind; label: string; skip: string | null }[] {
  const services = inject('services');
  return [
    { kind: 'sqlite', label: 'SQLite', skip: null },
    { kind: 'postgres', label: SERVICES.postgres.label, skip: services.postgres },
    { kind: 'mariadb', label: SERVICES.mariadb.label, skip: services.mariadb },
  ];
}

/**
 * The same suite once per database: `describe.each` that skips, with its reason in the
 * title, the databases this machine does not have.
 */
export function describeEachDatabase(title: string, body: (kind: DatabaseKind) => void): void {
  for (const entry of databaseMatrix()) {
    const name = entry.skip === null ? `${title} on ${entry.label}` : `${title} on ${entry.label} (skipped: ${entry.skip})`;
    describe.skipIf(entry.skip !== null)(name, () => body(entry.kind));
  }
}

/** Creates an empty database of this kind for one test file. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const name = `us_${process.pid}_${randomBytes(4).toString('hex')}`;
  switch (kind) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'user-sessions-'));
      return {
        kind,
        options: { type: 'better-sqlite3', database: join(dir, 'test.sqlite') },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres': {
      const { default: pg } = await import('pg');
      const { host, port } = SERVICES.postgres;
      const admin = { host, port, user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' };
      const client = new pg.Client(admin);
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return {
        kind,
        options: { type: 'postgres', host, port, username: admin.user, database: name },
        drop: async () => {
          const dropper = new pg.Client(admin);
          await dropper.connect();
          await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await dropper.end();
        },
      };
    }
    case 'mariadb': {
      const mysql = await import('mysql2/promise');
      const { host, port } = SERVICES.mariadb;
      const admin = { host, port, user: process.env.MYSQL_USER ?? 'root', password: process.env.MYSQL_PASSWORD ?? '' };
      const connection = await mysql.createConnection(admin);
      await connection.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await connection.end();
      return {
        kind,
        options: { type: 'mariadb', host, port, username: admin.user, password: admin.password, database: name },
        drop: async () => {
          const dropper = await mysql.createConnection(admin);
          await dropper.query(`DROP DATABASE IF EXISTS ${name}`);
          await dropper.end();
        },
      };
    }
  }
}
