import type { LoggerService } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserSessionsModuleOptions } from '../lib/index.js';
import type { TestDatabase } from './support/databases.js';
import { describeOutages, judgeOutages, outage, sleepUntil, type Outage } from './support/outages.js';
import { requiredServices } from './support/services.js';
import { checkSessionTable, runSoak, summarize } from './support/soak.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  ThrowawayMariaDb,
  ThrowawayPostgres,
  throwawayMariaDbUnavailable,
  throwawayPostgresUnavailable,
} from './support/throwaway-servers.js';

/**
 * The database goes away under load and comes back: a PostgreSQL cluster and a MariaDB server
 * of the test's own (the machine's servers are never touched) are stopped cleanly, killed,
 * and silenced (a proxy that stops passing bytes, as a broken network does) while 20 signed-in
 * clients keep going. While it is down every request gets a 503 quickly; the process never
 * crashes; once it is back the app serves normally within seconds, without a restart; and
 * nothing answered was lost (see `support/soak.ts` for what the clients check).
 *
 * Skipped with the reason when the server binaries are missing; `USER_SESSIONS_REQUIRE`
 * naming `pg-cluster` or `mariadb-cluster` (or `all`) makes that a failure.
 */
const CLIENTS = 20;
/** A stopped or killed server on loopback refuses at once: well under this. */
const FAST_MS = 2_000;
/** Full service again within this after the database is back. */
const RECOVERY_MS = 5_000;

/**
 * A database that is up but does not answer (a silent network) holds requests for as long as
 * TCP waits, unless something bounds it. On PostgreSQL the driver's timeouts do, as docs/reliability.md
 * recommends them (shortened here): the connect and pool wait, the query on the client, the
 * statement on the server. mysql2 has no setting that does (its query timeout leaves the
 * connection busy, and the next query on it waits with no timer), so on MariaDB it is the
 * module's own `storageTimeout`.
 */
const PG_TIMEOUTS = { connectTimeoutMS: 1_000, extra: { statement_timeout: 1_000, query_timeout: 1_500 } };
const MARIADB_TIMEOUTS = { connectTimeout: 1_000 };
const MARIADB_STORAGE_TIMEOUT = 1_500;
/** Under a silent network a request waits at most that long (a connection, then a query), + 1 s slack. */
const PG_SILENT_FAST_MS = 1_000 + 1_500 + 1_000;
const MARIADB_SILENT_FAST_MS = MARIADB_STORAGE_TIMEOUT + 1_000;

const PG_SKIP = throwawayPostgresUnavailable();
const MARIADB_SKIP = throwawayMariaDbUnavailable();
for (const [name, label, reason] of [['pg-cluster', 'throw-away PostgreSQL', PG_SKIP], ['mariadb-cluster', 'throw-away MariaDB', MARIADB_SKIP]] as const) {
  if (reason === null) continue;
  if (requiredServices().has(name)) throw new Error(`A ${label} is required (USER_SESSIONS_REQUIRE=${name}): ${reason}`);
  console.log(`[skip] ${label} fault suites: ${reason}`);
}

/** Counts what the app logs as errors (each failed database call is one), and keeps the log quiet. */
class ErrorCounter implements LoggerService {
  errors = 0;
  log(): void {}
  warn(): void {}
  error(): void {
    this.errors++;
  }
}

/** Uncaught exceptions and unhandled rejections while the file runs: there must be none. */
const uncaught: string[] = [];
const onUncaught = (error: unknown) => uncaught.push(`uncaught exception: ${(error as Error)?.stack ?? error}`);
const onUnhandled = (error: unknown) => uncaught.push(`unhandled rejection: ${(error as Error)?.stack ?? error}`);
beforeAll(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUnhandled);
});

async function startApp(options: TestDatabase['options'], moduleOptions: UserSessionsModuleOptions = {}) {
  const logger = new ErrorCounter();
  const database: TestDatabase = { kind: options.type === 'postgres' ? 'postgres' : 'mariadb', options, drop: async () => undefined };
  const app = await startTestApp(database, { activityInterval: 0, ...moduleOptions }, (nest) => nest.useLogger(logger));
  return { app, logger };
}

/**
 * Runs the clients for `durationMs` while `faults` (given the start time) makes its outages;
 * then checks every answer, the outages and the table, and prints the summary.
 */
async function soakThroughOutages(
  title: string,
  { app, logger }: { app: TestApp; logger: ErrorCounter },
  durationMs: number,
  faults: (startedAt: number) => Promise<Outage[]>,
  fastMs: number,
): Promise<void> {
  const startedAt = Date.now();
  const [result, outages] = await Promise.all([
    runSoak({ url: app.url, clients: CLIENTS, durationMs, relogin: false, userPrefix: `${title.replace(/\W+/g, '-')}-` }),
    faults(startedAt),
  ]);
  const table = await checkSessionTable(app.app.get(DataSource), result);
  const { problems, reports } = judgeOutages(result, outages, { fastMs, recoveryMs: RECOVERY_MS });
  console.log(`${summarize(title, result, table)}\n${describeOutages(reports)}\n  errors logged by the app: ${logger.errors}; uncaught: ${uncaught.length}`);

  expect(uncaught).toEqual([]);
  expect(result.errors).toEqual([]);
  expect(problems).toEqual([]);
  expect(table.errors).toEqual([]);
  for (const report of reports) expect(report.answered503).toBeGreaterThan(0);
  // Every failed database call was logged for the operator.
  expect(logger.errors).toBeGreaterThanOrEqual(result.records.filter((r) => r.status === 503).length);
}

describe.sequential('faults', () => {
  describe.skipIf(PG_SKIP !== null)(PG_SKIP === null ? 'PostgreSQL goes away under load' : `PostgreSQL goes away under load (skipped: ${PG_SKIP})`, () => {
    let cluster: ThrowawayPostgres;
    beforeAll(async () => {
      cluster = await ThrowawayPostgres.create();
    });
    afterAll(async () => {
      await cluster?.destroy();
    });
    let databases = 0;
    const options = async () => {
      const database = `test${++databases}`;
      await cluster.createDatabase(database);
      return { type: 'postgres' as const, host: '127.0.0.1', port: cluster.port, username: 'postgres', database };
    };

    it('stopped cleanly (-m fast), then killed (-m immediate): fast 503s while down, then full service, with default settings', async () => {
      const started = await startApp(await options());
      try {
        await soakThroughOutages('PostgreSQL stop/start', started, 26_000, async (t0) => {
          await sleepUntil(t0 + 4_000);
          const clean = await outage('pg_ctl stop -m fast', () => cluster.stop('fast'), () => cluster.start(), 3_000);
          await sleepUntil(t0 + 14_000);
          const crash = await outage('pg_ctl stop -m immediate', () => cluster.stop('immediate'), () => cluster.start(), 3_000);
          return [clean, crash];
        }, FAST_MS);
      } finally {
        await started.app.close();
      }
    }, 90_000);

    it('the network goes silent: with the driver timeouts, 503 within them, then full service', async () => {
      const proxy = await TcpProxy.start({ host: '127.0.0.1', port: cluster.port });
      const started = await startApp({ ...(await options()), port: proxy.port, ...PG_TIMEOUTS });
      try {
        await soakThroughOutages('PostgreSQL silent network', started, 15_000, async (t0) => {
          await sleepUntil(t0 + 3_000);
          return [await outage('no packet passes', () => proxy.silence(), () => proxy.resume(), 4_000)];
        }, PG_SILENT_FAST_MS);
      } finally {
        await started.app.close();
        await proxy.close();
      }
    }, 90_000);
  });

  describe.skipIf(MARIADB_SKIP !== null)(MARIADB_SKIP === null ? 'MariaDB goes away under load' : `MariaDB goes away under load (skipped: ${MARIADB_SKIP})`, () => {
    let server: ThrowawayMariaDb;
    beforeAll(async () => {
      server = await ThrowawayMariaDb.create();
    });
    afterAll(async () => {
      await server?.destroy();
    });
    let databases = 0;
    const options = async () => {
      const database = `test${++databases}`;
      await server.createDatabase(database);
      return { type: 'mariadb' as const, host: '127.0.0.1', port: server.port, username: 'root', password: '', database };
    };

    it('shut down (SIGTERM), then killed (SIGKILL): fast 503s while down, then full service, with default settings', async () => {
      const started = await startApp(await options());
      try {
        await soakThroughOutages('MariaDB stop/start', started, 26_000, async (t0) => {
          await sleepUntil(t0 + 4_000);
          const clean = await outage('SIGTERM', () => server.stop('clean'), () => server.start(), 3_000);
          await sleepUntil(t0 + 14_000);
          const crash = await outage('SIGKILL', () => server.stop('crash'), () => server.start(), 3_000);
          return [clean, crash];
        }, FAST_MS);
      } finally {
        await started.app.close();
      }
    }, 90_000);

    it('the network goes silent: with storageTimeout, 503 within it, then full service', async () => {
      const proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port });
      const started = await startApp({ ...(await options()), port: proxy.port, ...MARIADB_TIMEOUTS }, { storageTimeout: MARIADB_STORAGE_TIMEOUT });
      try {
        await soakThroughOutages('MariaDB silent network', started, 15_000, async (t0) => {
          await sleepUntil(t0 + 3_000);
          return [await outage('no packet passes', () => proxy.silence(), () => proxy.resume(), 4_000)];
        }, MARIADB_SILENT_FAST_MS);
      } finally {
        await started.app.close();
        await proxy.close();
      }
    }, 90_000);
  });
});
