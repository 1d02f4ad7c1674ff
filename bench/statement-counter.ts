/**
 * Counts SQL statements where the database drivers receive them, below TypeORM: patched
 * prototype methods of better-sqlite3's `Statement` (`run`, `get`, `all`, `iterate`) and
 * `Database#exec`, pg's `Client#query`, and mysql2's `Connection#query` / `#execute`. So a
 * statement that bypasses TypeORM's query runner (the `floor` variant's raw SELECT, a pool
 * query) is counted too. The modules are loaded with `require` from here, which resolves to
 * the same files TypeORM's `PlatformTools.load()` requires; `verifyStatementCounter()` checks
 * that on the live DataSource.
 */
import { createRequire } from 'node:module';
import type { DataSource } from 'typeorm';
import type { DatabaseKind } from './protocol.js';

const require = createRequire(import.meta.url);

/** Statements counted since the last reset, by leading verb and in three classes. */
export interface StatementCounts {
  /** SELECT (and WITH … SELECT). */
  reads: number;
  /** INSERT, UPDATE, DELETE, REPLACE (also inside WITH …). */
  writes: number;
  /** Everything else: BEGIN, COMMIT, SET, PRAGMA… */
  other: number;
  total: number;
  byVerb: Record<string, number>;
}

const READ_VERBS = new Set(['SELECT']);
const WRITE_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/** The statement's verb: its first keyword, or for `WITH …` the data-modifying one it runs. */
export function statementVerb(sql: unknown): string {
  if (typeof sql !== 'string') return '?';
  const text = sql.replace(/^(\s|\(|\/\*[\s\S]*?\*\/|--[^\n]*\n)+/, '');
  const verb = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase() ?? '?';
  if (verb !== 'WITH') return verb;
  return /\b(INSERT|UPDATE|DELETE)\b/i.exec(text)?.[1]?.toUpperCase() ?? 'SELECT';
}

class StatementCounter {
  private byVerb = new Map<string, number>();

  record(sql: unknown): void {
    const verb = statementVerb(sql);
    this.byVerb.set(verb, (this.byVerb.get(verb) ?? 0) + 1);
  }

  reset(): void {
    this.byVerb.clear();
  }

  snapshot(): StatementCounts {
    const counts: StatementCounts = { reads: 0, writes: 0, other: 0, total: 0, byVerb: {} };
    for (const [verb, count] of this.byVerb) {
      counts.byVerb[verb] = count;
      counts.total += count;
      if (READ_VERBS.has(verb)) counts.reads += count;
      else if (WRITE_VERBS.has(verb)) counts.writes += count;
      else counts.other += count;
    }
    return counts;
  }
}

/** The process's one counter; `installStatementCounter()` feeds it. */
export const statements = new StatementCounter();

const PATCHED = Symbol.for('nestjs-user-sessions.bench.statement-counter');

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Wraps `owner[name]` so that each call records the SQL that `sqlOf` finds in it. */
function wrap(owner: object, name: string, sqlOf: (self: unknown, args: unknown[]) => unknown): void {
  const target = owner as Record<string, AnyFunction & { [PATCHED]?: true }>;
  const original = target[name];
  if (typeof original !== 'function') throw new Error(`statement counter: no method ${name} to patch`);
  if (original[PATCHED]) return;
  const counted = function (this: unknown, ...args: unknown[]) {
    statements.record(sqlOf(this, args));
    return original.apply(this, args);
  } as AnyFunction & { [PATCHED]?: true };
  counted[PATCHED] = true;
  target[name] = counted;
}

/** The nearest object on the prototype chain that defines `name` itself. */
function ownerOf(prototype: object, name: string): object {
  for (let current: object | null = prototype; current; current = Object.getPrototypeOf(current)) {
    if (Object.hasOwn(current, name)) return current;
  }
  throw new Error(`statement counter: ${name} not found on the prototype chain`);
}

const sqlText = (value: unknown): unknown =>
  typeof value === 'string' ? value : (value as { text?: unknown; sql?: unknown } | null)?.text ?? (value as { sql?: unknown } | null)?.sql;

/** Patches the driver of `kind`. Idempotent. */
export function installStatementCounter(kind: DatabaseKind): void {
  switch (kind) {
    case 'sqlite': {
      type BetterSqlite = new (file: string) => { prepare(sql: string): object; close(): void };
      const Database = require('better-sqlite3') as BetterSqlite & { prototype: object };
      const probe = new Database(':memory:');
      const statementPrototype = Object.getPrototypeOf(probe.prepare('select 1')) as object;
      probe.close();
      for (const method of ['run', 'get', 'all', 'iterate']) {
        wrap(statementPrototype, method, (self) => (self as { source?: string }).source);
      }
      wrap(Database.prototype, 'exec', (_self, args) => args[0]);
      return;
    }
    case 'postgres': {
      const pg = require('pg') as { Client: { prototype: object } };
      wrap(pg.Client.prototype, 'query', (_self, args) => sqlText(args[0]));
      return;
    }
    case 'mariadb': {
      const mysql = require('mysql2') as { Connection: { prototype: object } };
      wrap(ownerOf(mysql.Connection.prototype, 'query'), 'query', (_self, args) => sqlText(args[0]));
      wrap(ownerOf(mysql.Connection.prototype, 'execute'), 'execute', (_self, args) => sqlText(args[0]));
      return;
    }
  }
}

/**
 * Checks that the DataSource's driver is the module instance that was patched (same
 * prototype), and that a statement sent through it is counted.
 */
export async function verifyStatementCounter(kind: DatabaseKind, dataSource: DataSource): Promise<void> {
  const driver = dataSource.driver as unknown as Record<string, unknown>;
  const patched = (fn: unknown) => Boolean((fn as { [PATCHED]?: true } | undefined)?.[PATCHED]);
  let same: boolean;
  switch (kind) {
    case 'sqlite': {
      const connection = driver.databaseConnection as { prepare(sql: string): object };
      same = patched((Object.getPrototypeOf(connection.prepare('select 1')) as Record<string, unknown>).get);
      break;
    }
    case 'postgres':
      same = patched((driver.postgres as { Client: { prototype: Record<string, unknown> } }).Client.prototype.query);
      break;
    case 'mariadb':
      same = patched((driver.mysql as { Connection: { prototype: Record<string, unknown> } }).Connection.prototype.query);
      break;
  }
  if (!same) {
    throw new Error(`statement counter: TypeORM's ${kind} driver module is another instance than the patched one`);
  }
  statements.reset();
  await dataSource.query('SELECT 1');
  const counted = statements.snapshot();
  statements.reset();
  if (counted.reads < 1) throw new Error(`statement counter: a SELECT through TypeORM was not counted on ${kind}`);
}
