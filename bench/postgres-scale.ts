/**
 * PostgreSQL at scale, on the same database the HTTP variants used (after their rounds):
 *
 * (a) `user_sessions` seeded with `rows` rows (one `INSERT … SELECT … FROM generate_series`,
 *     64-hex md5-based digests, ~20,000 users) plus one user with exactly 50 unexpired
 *     sessions made through `SessionStoreService.create()`; `ANALYZE`; the SQL that
 *     `SessionStoreService.listActive(user)` sends, caught with a TypeORM logger and run under
 *     `EXPLAIN (ANALYZE, BUFFERS)` with its own parameters; then 200 timed calls in-process.
 * (b) the seeded rows moved 30 days into the past (expired), `VACUUM ANALYZE`, module-read's
 *     p99 measured without cleanup, then `SessionStoreService.clearExpired()` run in this
 *     process while autocannon drives module-read (its child, same database) for the whole
 *     cleanup: elapsed time, rows deleted, DELETE statements (batches), p99 during it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { Session, SessionStoreService, UserSessionsModule } from '../lib/index.js';
import { primeTarget, runLoad, startLoad, type LoadResult, type LoadTarget } from './load.js';
import { installStatementCounter, statements, type StatementCounts } from './statement-counter.js';
import { median, percentile } from './stats.js';
import type { VariantProcess } from './variant-process.js';
import { BENCH_USER_AGENT, type BenchDatabase } from './protocol.js';

const TARGET_USER = 'scale-target';
const TARGET_SESSIONS = 50;
const SEEDED_USERS = 20_000;
const SEEDED_USER_PREFIX = 'scale-u-';
const TIMED_CALLS = 200;
const WARMUP_CALLS = 5;
/** Load runs this long before `clearExpired()` starts, so that every connection is open. */
const CLEANUP_LEAD_MS = 250;
/** Pause after the load before reading module-read's counters: in-flight requests finish. */
const SETTLE_MS = 200;

export interface ListActiveResult {
  sql: string;
  parameters: unknown[];
  explain: string;
  /** The plan uses an index on user_sessions and no sequential scan. */
  indexed: boolean;
  /** Statements per call over the timed calls (driver-level count). */
  statementsPerCall: number;
  sessionsReturned: number;
  calls: number;
  medianMs: number;
  p99Ms: number;
}

export interface CleanupResult {
  expiredRows: number;
  elapsedMs: number;
  rowsDeleted: number;
  /** Rows still expired after the cleanup (0 expected). */
  expiredLeft: number;
  deleteStatements: number;
  statements: StatementCounts;
  /** module-read under load for `duration` s, 1M expired rows in the table, no cleanup. */
  baseline: LoadResult;
  /** module-read under load from 250 ms before the cleanup to its end. */
  during: LoadResult;
  /** module-read's statements per request over the whole load that spanned the cleanup. */
  moduleReadStatementsPerRequest: number;
  /** module-read's statements over that load, by verb (an UPDATE per session per 60 s is the activity refresh). */
  moduleReadStatements: StatementCounts;
}

export interface ScaleResult {
  rows: number;
  seedSeconds: number;
  expireSeconds: number;
  listActive: ListActiveResult;
  cleanup: CleanupResult;
}

/** Catches the SQL and parameters TypeORM sends while `capturing` is on. */
class CapturingLogger implements TypeOrmLogger {
  capturing = false;
  readonly captured: { query: string; parameters: unknown[] }[] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    if (this.capturing) this.captured.push({ query, parameters: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

@Module({})
class ScaleModule {}

export interface ScaleInput {
  database: BenchDatabase;
  rows: number;
  duration: number;
  connections: number;
  /** The module-read child on the same database, and what to send it. */
  moduleRead: { process: VariantProcess; target: LoadTarget };
  log(line: string): void;
}

export async function runPostgresScale(input: ScaleInput): Promise<ScaleResult> {
  installStatementCounter('postgres');
  const logger = new CapturingLogger();
  const app = await NestFactory.createApplicationContext(
    {
      module: ScaleModule,
      imports: [
        TypeOrmModule.forRoot({ ...input.database.typeorm, entities: [Session], synchronize: false, logger } as TypeOrmModuleOptions),
        // Only the session table's queries are measured here.
        UserSessionsModule.forRoot({ knownDevices: { enabled: false }, activityHistoryDays: 0 }),
      ],
    },
    { logger: ['error', 'warn'] },
  );
  try {
    return await measure(app, logger, input);
  } finally {
    await app.close();
  }
}

async function measure(app: INestApplicationContext, logger: CapturingLogger, input: ScaleInput): Promise<ScaleResult> {
  const store = app.get(SessionStoreService);
  const dataSource = app.get(DataSource);
  const metadata = dataSource.getMetadata(Session);
  const escape = (name: string) => dataSource.driver.escape(name);
  const table = escape(metadata.tableName);
  const column = (property: string) => escape(metadata.findColumnWithPropertyName(property)!.databaseName);

  // (a) seed
  input.log(`seeding ${input.rows.toLocaleString('en')} rows…`);
  let started = performance.now();
  const now = new Date();
  await dataSource.query(
    `INSERT INTO ${table} (${column('keyDigest')}, ${column('id')}, ${column('keyIssuedAt')}, ${column('data')}, ${column('expireDate')},
       ${column('userId')}, ${column('userAgent')}, ${column('ip')}, ${column('lastActivity')}, ${column('createdAt')})
     SELECT md5('key-' || i) || md5('digest-' || i), md5('key-' || i) || md5('digest-' || i), $2::timestamp, '{}',
            $1::timestamp + (i % 10080) * interval '1 minute',
            '${SEEDED_USER_PREFIX}' || (i % ${SEEDED_USERS}),
            $3,
            '10.' || (i % 250) || '.' || ((i / 250) % 250) || '.1',
            $2::timestamp - (i % 604800) * interval '1 second',
            $2::timestamp - interval '7 days' - (i % 604800) * interval '1 second'
     FROM generate_series(1, $4::int) AS s(i)`,
    [new Date(now.getTime() + 86_400_000), now, BENCH_USER_AGENT, input.rows],
  );
  for (let index = 0; index < TARGET_SESSIONS; index++) {
    await store.create({ userId: TARGET_USER, ip: `192.0.2.${index + 1}`, userAgent: BENCH_USER_AGENT });
  }
  await dataSource.query(`ANALYZE ${table}`);
  const seedSeconds = (performance.now() - started) / 1000;

  // (a) listActive: the exact SQL, its plan, and 200 timed calls
  logger.captured.length = 0;
  logger.capturing = true;
  await store.listActive(TARGET_USER);
  logger.capturing = false;
  const selects = logger.captured.filter(({ query }) => /^\s*SELECT/i.test(query) && query.includes(metadata.tableName));
  if (selects.length === 0) throw new Error('listActive sent no SELECT on the session table that the logger saw');
  const { query: sql, parameters } = selects[selects.length - 1];
  const plan = (await dataSource.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, parameters)) as Record<string, string>[];
  const explain = plan.map((row) => row['QUERY PLAN']).join('\n');

  for (let call = 0; call < WARMUP_CALLS; call++) await store.listActive(TARGET_USER);
  statements.reset();
  const times: number[] = [];
  let sessionsReturned = 0;
  for (let call = 0; call < TIMED_CALLS; call++) {
    const start = performance.now();
    sessionsReturned = (await store.listActive(TARGET_USER)).length;
    times.push(performance.now() - start);
  }
  const listCounts = statements.snapshot();
  times.sort((a, b) => a - b);
  const listActive: ListActiveResult = {
    sql,
    parameters,
    explain,
    indexed: /Index (Only )?Scan|Bitmap Index Scan/.test(explain) && !/Seq Scan/.test(explain),
    statementsPerCall: listCounts.total / TIMED_CALLS,
    sessionsReturned,
    calls: TIMED_CALLS,
    medianMs: median(times),
    p99Ms: percentile(times, 99),
  };

  // (b) expire the seeded rows, then clean up under load
  input.log(`expiring the ${input.rows.toLocaleString('en')} seeded rows…`);
  started = performance.now();
  await dataSource.query(
    `UPDATE ${table} SET ${column('expireDate')} = ${column('expireDate')} - interval '30 days' WHERE ${column('userId')} LIKE '${SEEDED_USER_PREFIX}%'`,
  );
  await dataSource.query(`VACUUM (ANALYZE) ${table}`);
  const expireSeconds = (performance.now() - started) / 1000;
  const countExpired = async () =>
    Number(
      ((await dataSource.query(`SELECT count(*) AS n FROM ${table} WHERE ${column('expireDate')} <= $1`, [new Date()])) as { n: string }[])[0].n,
    );
  const expiredRows = await countExpired();

  input.log(`module-read without cleanup (${input.duration} s)…`);
  await primeTarget(input.moduleRead.target);
  const baseline = await runLoad(input.moduleRead.target, { connections: input.connections, duration: input.duration });

  input.log('clearExpired() under module-read load…');
  await primeTarget(input.moduleRead.target);
  await input.moduleRead.process.reset(); // before the load, so that its count is exact
  const running = startLoad(input.moduleRead.target, { connections: input.connections, sampleIntMs: 100 });
  await sleep(CLEANUP_LEAD_MS);
  statements.reset();
  started = performance.now();
  let rowsDeleted = 0;
  let failure: unknown;
  try {
    rowsDeleted = await store.clearExpired();
  } catch (error) {
    failure = error;
  }
  const elapsedMs = performance.now() - started;
  const cleanupCounts = statements.snapshot();
  const during = await running.stop(); // load stops whether or not the cleanup worked
  if (failure) throw failure;
  await sleep(SETTLE_MS);
  const childSample = await input.moduleRead.process.sample();
  const expiredLeft = await countExpired();

  return {
    rows: input.rows,
    seedSeconds,
    expireSeconds,
    listActive,
    cleanup: {
      expiredRows,
      elapsedMs,
      rowsDeleted,
      expiredLeft,
      deleteStatements: cleanupCounts.byVerb.DELETE ?? 0,
      statements: cleanupCounts,
      baseline,
      during,
      moduleReadStatementsPerRequest: childSample.requests > 0 ? childSample.statements.total / childSample.requests : NaN,
      moduleReadStatements: childSample.statements,
    },
  };
}
