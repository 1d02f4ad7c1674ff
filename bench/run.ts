/**
 * `npm run bench`: the HTTP benchmark, one command, one run, every variant side by side.
 *
 * For each database: start every variant in its own child process (`server.ts`), check one
 * response of each, warm each up, then measure in interleaved rounds (A B C, C B A, A B C …) with
 * autocannon from this process. Before each measurement every session gets one request
 * (`primeTarget()`: all must still answer), then the child runs its pre-window step (activity
 * set to now, the sessions a window ends written, fresh cookies or ids handed out) and zeroes its
 * counters; after the window it checks what it can (the sessions left). Prints each database's
 * table, ratios per round and medians, and targets; on PostgreSQL also the 1M-row checks
 * (`postgres-scale.ts`). Writes `bench/results/latest.json`, `latest.md` and the chart
 * `latest.svg` (`quick.*` for a --quick run). `--help` lists the flags.
 *
 * Exit code 1 when a measurement is INVALID or a run failed; missed targets are reported,
 * not failures.
 */
import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchDatabase, probeDatabase, probeRedis, type BenchDatabaseSet } from './databases.js';
import { checkTarget, primeTarget, runLoad, type LoadTarget } from './load.js';
import { openConnections } from './websocket-load.js';
import { DATABASE_LABELS, variantsFor, type DatabaseKind, type VariantName } from './protocol.js';
import {
  databaseMarkdown,
  machineInfo,
  packageVersions,
  summarize,
  writeResults,
  type BenchReport,
  type DatabaseRun,
  type Measurement,
} from './report.js';
import { HELP, parseSettings, type BenchSettings } from './settings.js';
import { VariantProcess } from './variant-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
/** Pause between the end of a load and reading the child's counters: in-flight requests finish. */
const SETTLE_MS = 200;

/** What must be undone if the run is interrupted: children to stop, databases to drop. */
const cleanups = new Set<() => Promise<void>>();

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function targetOf(child: VariantProcess): LoadTarget {
  return child.ready;
}

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

function describe(measurement: Measurement): string {
  const { load, memory, statementsPerRequest: s } = measurement;
  const numbers =
    `${Math.round(load.requestsPerSecond).toLocaleString('en').padStart(7)} req/s  ` +
    `p50 ${load.latency.p50.toFixed(2).padStart(6)} ms  p99 ${load.latency.p99.toFixed(2).padStart(7)} ms  ` +
    `CPU ${measurement.cpuMicrosPerRequest.toFixed(0).padStart(4)} µs/req  ${s.total.toFixed(3)} stmt/req (${s.reads.toFixed(3)} r, ${s.writes.toFixed(3)} w)  ` +
    `RSS ${mb(memory.rss)} MB (after GC ${mb(memory.rssAfterGc)})`;
  return measurement.problems.length === 0 ? numbers : `INVALID (${measurement.problems.join('; ')}) ${numbers}`;
}

async function measure(child: VariantProcess, settings: BenchSettings, round: number): Promise<Measurement> {
  const target = targetOf(child);
  const primeProblems = await primeTarget(target);
  // WebSockets are opened before the counters are reset: the window counts messages alone.
  const sockets = target.route.method === 'WS' ? await openConnections(target, settings.connections) : null;
  await child.reset();
  const load = sockets ? await sockets.run(settings.duration) : await runLoad(target, { connections: settings.connections, duration: settings.duration });
  await sleep(SETTLE_MS);
  const sample = await child.sample();
  const perRequest = (n: number) => (sample.requests > 0 ? n / sample.requests : NaN);
  return {
    variant: child.variant,
    round,
    load,
    statements: sample.statements,
    serverRequests: sample.requests,
    statementsPerRequest: {
      total: perRequest(sample.statements.total),
      reads: perRequest(sample.statements.reads),
      writes: perRequest(sample.statements.writes),
      other: perRequest(sample.statements.other),
    },
    cpuMicrosPerRequest: perRequest(sample.cpuMicros),
    memory: { rss: sample.rss, peakRss: sample.peakRss, rssAfterGc: sample.rssAfterGc, heapUsedAfterGc: sample.heapUsedAfterGc },
    problems: [...primeProblems, ...load.problems, ...sample.problems],
  };
}

async function runDatabase(kind: DatabaseKind, settings: BenchSettings, redis: boolean): Promise<DatabaseRun> {
  const label = DATABASE_LABELS[kind];
  const run: DatabaseRun = {
    kind,
    label,
    description: '',
    variants: [],
    rounds: [],
    scale: null,
    scaleSkipped: null,
    error: null,
  };
  const children = new Map<VariantName, VariantProcess>();
  const stopChildren = async (keep?: VariantName) => {
    for (const [variant, child] of children) {
      if (variant === keep) continue;
      await child.stop();
      children.delete(variant);
    }
  };
  let database: BenchDatabaseSet | undefined;
  const cleanup = async () => {
    await stopChildren();
    await database?.drop();
  };
  cleanups.add(cleanup);

  try {
    database = await createBenchDatabase(kind);
    run.description = database.description;
    const variants = variantsFor(kind, redis).filter((variant) => !settings.variants || settings.variants.includes(variant));

    for (const variant of variants) {
      log(`[${label}] starting ${variant}…`);
      const child = await VariantProcess.start(
        variant,
        database.forVariant(variant),
        { sessions: settings.connections, windowSeconds: settings.duration },
        settings.cpuProfileDir,
      );
      children.set(variant, child);
    }
    const measurable: VariantProcess[] = [];
    for (const variant of variants) {
      const child = children.get(variant)!;
      const checkProblems = await checkTarget(targetOf(child));
      run.variants.push({ variant, notes: child.ready.notes, route: child.ready.route, checkProblems });
      if (checkProblems.length > 0) log(`[${label}] ${variant}: INVALID before measuring: ${checkProblems.join('; ')}`);
      else measurable.push(child);
    }

    if (settings.warmup > 0) {
      log(`[${label}] warm-up, ${settings.warmup} s per variant (not recorded)…`);
      for (const child of measurable) {
        await runLoad(targetOf(child), { connections: settings.connections, duration: settings.warmup });
      }
    }

    for (let round = 1; round <= settings.rounds; round++) {
      const measurements: Measurement[] = [];
      // Every other round runs the variants in reverse (A B C, C B A, …): the machine's speed
      // drifts within a round, and a pair measured in both orders cancels what it drifted.
      const order = round % 2 === 1 ? measurable : [...measurable].reverse();
      for (const child of order) {
        const measurement = await measure(child, settings, round);
        measurements.push(measurement);
        log(`[${label}] round ${round}/${settings.rounds}  ${child.variant.padEnd(23)} ${describe(measurement)}`);
      }
      run.rounds.push(measurements);
    }

    if (kind === 'postgres') {
      const moduleRead = children.get('module-read');
      if (settings.scaleRows === 0) run.scaleSkipped = settings.quick ? '--quick' : '--scale-rows 0';
      else if (!moduleRead || !measurable.includes(moduleRead)) run.scaleSkipped = 'module-read is not valid';
      else {
        await stopChildren('module-read');
        const { runPostgresScale } = await import('./postgres-scale.js');
        run.scale = await runPostgresScale({
          database: database.forVariant('module-read'),
          rows: settings.scaleRows,
          duration: settings.duration,
          connections: settings.connections,
          moduleRead: { process: moduleRead, target: targetOf(moduleRead) },
          log: (line) => log(`[${label}] ${line}`),
        });
      }
    }
  } catch (error) {
    run.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`[${label}] FAILED: ${run.error}`);
  } finally {
    await cleanup();
    cleanups.delete(cleanup);
  }
  return run;
}

async function chooseDatabases(settings: BenchSettings): Promise<DatabaseKind[]> {
  if (settings.databases) {
    for (const kind of settings.databases) {
      const reason = await probeDatabase(kind);
      if (reason) throw new Error(`${DATABASE_LABELS[kind]} was asked for with --databases but is ${reason}`);
    }
    return settings.databases;
  }
  const kinds: DatabaseKind[] = ['sqlite'];
  for (const kind of ['postgres', 'mariadb'] as const) {
    const reason = await probeDatabase(kind);
    if (reason === null) kinds.push(kind);
    else log(`${DATABASE_LABELS[kind]} skipped: ${reason}`);
  }
  return kinds;
}

async function main(): Promise<number> {
  let settings: BenchSettings | null;
  try {
    settings = parseSettings(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (settings === null) {
    console.log(HELP);
    return 0;
  }

  const kinds = await chooseDatabases(settings);
  const redisSkipped = await probeRedis();
  if (redisSkipped !== null) log(`module-read-redis skipped: Redis ${redisSkipped}`);
  const report: BenchReport = {
    machine: machineInfo(),
    versions: packageVersions(ROOT),
    settings: { ...settings, databasesRun: kinds },
    databases: [],
  };
  log(
    `${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}; ` +
      `${settings.rounds} round(s) × ${settings.duration} s, ${settings.connections} connections; databases: ${kinds.join(', ')}`,
  );

  for (const kind of kinds) {
    const run = await runDatabase(kind, settings, redisSkipped === null);
    const summary = summarize(run);
    report.databases.push({ ...run, summary });
    console.log(`\n${databaseMarkdown(run, summary)}`);
  }

  // A smoke run must not overwrite the numbers of the last real run (bench/README.md's source).
  // Nor a partial or profiled one.
  const name = settings.quick ? 'quick' : settings.variants || settings.cpuProfileDir ? 'partial' : 'latest';
  const files = writeResults(report, RESULTS_DIR, name);
  console.log('Targets:');
  for (const db of report.databases) {
    for (const target of db.summary.targets) {
      const verdict = target.pass === null ? 'n/a ' : target.pass ? 'pass' : 'FAIL';
      console.log(`  ${verdict}  ${db.label}: ${target.name} (${target.detail})`);
    }
  }
  console.log(`\nWrote ${files.json}, ${files.markdown} and ${files.svg}`);

  const invalid = report.databases.flatMap((db) => [
    ...(db.error ? [`${db.label}: run failed`] : []),
    ...db.summary.variants.filter((v) => !v.valid).map((v) => `${db.label} ${v.variant}: INVALID`),
    ...(db.scale && (db.scale.cleanup.baseline.problems.length > 0 || db.scale.cleanup.during.problems.length > 0)
      ? [`${db.label} cleanup load: INVALID`]
      : []),
  ]);
  if (invalid.length > 0) {
    console.log(`\nNot valid measurements: ${invalid.join(', ')}`);
    return 1;
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping children and dropping bench databases…`);
    void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).finally(() => process.exit(130));
  });
}

process.exitCode = await main();
