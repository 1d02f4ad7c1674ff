/**
 * What the bench found: medians of the rounds, the ratios per round and their medians, the
 * targets, as console text, Markdown (`bench/results/latest.md`, tables ready for bench/README.md)
 * and JSON (`bench/results/latest.json`, with every raw number).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './load.js';
import type { ScaleResult } from './postgres-scale.js';
import type { DatabaseKind, RouteSpec, VariantName } from './protocol.js';
import type { BenchSettings } from './settings.js';
import type { StatementCounts } from './statement-counter.js';
import { median } from './stats.js';
import { reportSvg } from './chart.js';

// ------------------------------------------------------------------ data

/** One variant, one round. */
export interface Measurement {
  variant: VariantName;
  round: number;
  load: LoadResult;
  statements: StatementCounts;
  /** Requests the child's HTTP server received during the measurement. */
  serverRequests: number;
  /** `statements / serverRequests`, by class. */
  statementsPerRequest: { total: number; reads: number; writes: number; other: number };
  /** Bytes: RSS right after the load, peak RSS during it, RSS and V8 heap after a forced GC. */
  memory: { rss: number; peakRss: number; rssAfterGc: number; heapUsedAfterGc: number };
  /**
   * CPU time the child used per request it received, in µs (user + system, from
   * `process.cpuUsage()`): the variant's own cost, steadier than req/s, which also moves with
   * what the load generator and the database take from the shared cores.
   */
  cpuMicrosPerRequest: number;
  /** Empty when this is a measurement; otherwise why it is not (INVALID). */
  problems: string[];
}

export interface VariantRun {
  variant: VariantName;
  notes: string;
  route: RouteSpec;
  /** What the one-response check before measuring found wrong (empty: fine). */
  checkProblems: string[];
}

export interface DatabaseRun {
  kind: DatabaseKind;
  label: string;
  description: string;
  variants: VariantRun[];
  /** `rounds[r]` holds round r+1's measurements, in the order they ran. */
  rounds: Measurement[][];
  scale: ScaleResult | null;
  /** Why the scale checks did not run, when they did not. */
  scaleSkipped: string | null;
  /** A failure that stopped this database's run. */
  error: string | null;
}

export interface VariantSummary {
  variant: VariantName;
  valid: boolean;
  problems: string[];
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  statementsPerRequest: { total: number; reads: number; writes: number; other: number };
  rssMb: number;
  rssAfterGcMb: number;
  cpuMicrosPerRequest: number;
}

export interface RatioSummary {
  name: string;
  metric: Metric;
  perRound: (number | null)[];
  median: number | null;
  target: { op: '>=' | '<='; value: number } | null;
  pass: boolean | null;
}

export interface TargetCheck {
  name: string;
  /** null: could not be judged (a variant was invalid or did not run). */
  pass: boolean | null;
  detail: string;
}

export interface DatabaseSummary {
  kind: DatabaseKind;
  variants: VariantSummary[];
  ratios: RatioSummary[];
  targets: TargetCheck[];
}

export interface BenchReport {
  machine: {
    cpu: string;
    cores: number;
    totalMemoryGb: number;
    node: string;
    platform: string;
    date: string;
    /** 1-minute load average when the run started: other work on the machine skews the numbers. */
    loadAverageAtStart: number;
  };
  versions: Record<string, string | null>;
  settings: BenchSettings & { databasesRun: DatabaseKind[] };
  databases: (DatabaseRun & { summary: DatabaseSummary })[];
}

// ------------------------------------------------------------------ summaries

/** req/s; RSS right after the load; RSS after a forced full GC. */
type Metric = 'req/s' | 'rss' | 'rss-after-gc';

interface RatioSpec {
  name: string;
  numerator: VariantName;
  denominator: VariantName;
  metric: Metric;
  target: { op: '>=' | '<='; value: number } | null;
}

/** The ratios reported for a database, with the targets that apply there. */
function ratioSpecs(kind: DatabaseKind): RatioSpec[] {
  const sqlOrPg = kind === 'sqlite' || kind === 'postgres';
  const at = (value: number) => ({ op: '>=' as const, value });
  const ratio = (numerator: VariantName, denominator: VariantName, target: RatioSpec['target'] = null, metric: Metric = 'req/s'): RatioSpec => ({
    name: `${metric === 'req/s' ? '' : `${metric} `}${numerator}/${denominator}`,
    numerator,
    denominator,
    metric,
    target,
  });
  return [
    // Retired as a target: the floor itself stays below 0.8× bare on this machine (bench/README.md).
    ratio('module-read', 'bare'),
    ratio('module-read', 'floor', sqlOrPg ? at(0.9) : null),
    ...(kind === 'sqlite'
      ? [ratio('module-read', 'express-session-default', at(5)), ratio('module-read', 'express-session-wal', at(2))]
      : [ratio('module-read', 'express-session', kind === 'postgres' ? at(2) : null)]),
    ratio('module-read-redis', 'module-read'),
    ratio('module-read', 'better-auth-read', at(2)),
    ratio('module-read-redis', 'better-auth-cookie-cache'),
    ratio('module-end', 'better-auth-end'),
    ratio('module-read-fastify', 'fastify-session', sqlOrPg ? at(1.5) : null),
    // GraphQL and WebSockets (issue 17): the guard against the same resolver or gateway without it.
    ratio('module-graphql', 'graphql-bare', at(0.85)),
    // What one raw primary-key read leaves of a GraphQL query: the most any database session can.
    ratio('graphql-floor', 'graphql-bare'),
    ratio('module-graphql', 'graphql-floor'),
    ratio('module-websocket', 'websocket-bare', at(0.9)),
    ...(kind === 'sqlite'
      ? [ratio('module-write', 'express-session-write-default', at(1)), ratio('module-write-wal', 'express-session-write-wal', at(1))]
      : [ratio('module-write', 'express-session-write', kind === 'postgres' ? at(1) : null)]),
    ratio('module-read', 'bare', { op: '<=', value: 1.1 }, 'rss'),
    ratio('module-read', 'bare', { op: '<=', value: 1.1 }, 'rss-after-gc'),
  ];
}

function measurementsOf(run: DatabaseRun, variant: VariantName): Measurement[] {
  return run.rounds.map((round) => round.find((m) => m.variant === variant)).filter((m): m is Measurement => m !== undefined);
}

function summarizeVariant(run: DatabaseRun, info: VariantRun): VariantSummary {
  const measurements = measurementsOf(run, info.variant);
  const problems = [...info.checkProblems.map((p) => `check: ${p}`)];
  for (const m of measurements) for (const p of m.problems) problems.push(`round ${m.round}: ${p}`);
  if (measurements.length === 0 && problems.length === 0) problems.push('not measured');
  const pick = (f: (m: Measurement) => number) => median(measurements.map(f));
  return {
    variant: info.variant,
    valid: problems.length === 0,
    problems,
    requestsPerSecond: pick((m) => m.load.requestsPerSecond),
    p50Ms: pick((m) => m.load.latency.p50),
    p99Ms: pick((m) => m.load.latency.p99),
    statementsPerRequest: {
      total: pick((m) => m.statementsPerRequest.total),
      reads: pick((m) => m.statementsPerRequest.reads),
      writes: pick((m) => m.statementsPerRequest.writes),
      other: pick((m) => m.statementsPerRequest.other),
    },
    rssMb: pick((m) => m.memory.rss / 1024 / 1024),
    rssAfterGcMb: pick((m) => m.memory.rssAfterGc / 1024 / 1024),
    cpuMicrosPerRequest: pick((m) => m.cpuMicrosPerRequest),
  };
}

function meets(value: number, target: { op: '>=' | '<='; value: number }): boolean {
  return target.op === '>=' ? value >= target.value : value <= target.value;
}

export function summarize(run: DatabaseRun): DatabaseSummary {
  const variants = run.variants.map((info) => summarizeVariant(run, info));
  const validity = new Map(variants.map((v) => [v.variant, v.valid]));
  const ratios: RatioSummary[] = ratioSpecs(run.kind)
    .filter((spec) => validity.has(spec.numerator) && validity.has(spec.denominator))
    .map((spec) => {
      const perRound = run.rounds.map((round) => {
        const a = round.find((m) => m.variant === spec.numerator);
        const b = round.find((m) => m.variant === spec.denominator);
        if (!a || !b || a.problems.length > 0 || b.problems.length > 0) return null;
        switch (spec.metric) {
          case 'rss':
            return a.memory.rss / b.memory.rss;
          case 'rss-after-gc':
            return a.memory.rssAfterGc / b.memory.rssAfterGc;
          default:
            return a.load.requestsPerSecond / b.load.requestsPerSecond;
        }
      });
      const bothValid = validity.get(spec.numerator) === true && validity.get(spec.denominator) === true;
      const valid = perRound.filter((r): r is number => r !== null);
      const mid = bothValid && valid.length > 0 ? median(valid) : null;
      return {
        name: spec.name,
        metric: spec.metric,
        perRound,
        median: mid,
        target: spec.target,
        pass: spec.target === null || mid === null ? null : meets(mid, spec.target),
      };
    });

  const targets: TargetCheck[] = ratios
    .filter((ratio) => ratio.target !== null)
    .map((ratio) => ({
      name: `${ratio.name} ${ratio.target!.op === '>=' ? '≥' : '≤'} ${ratio.target!.value}`,
      pass: ratio.pass,
      detail: ratio.median === null ? 'not measured (invalid or missing variant)' : `median ${fixed(ratio.median, 2)}`,
    }));

  const moduleRead = measurementsOf(run, 'module-read');
  const moduleReadValid = validity.get('module-read') === true;
  const exact = moduleRead.every((m) => m.statements.total === m.serverRequests && m.statements.reads === m.serverRequests && m.statements.writes === 0);
  targets.push({
    name: 'module-read: exactly 1 statement (a SELECT) and 0 writes per request',
    pass: moduleReadValid && moduleRead.length > 0 ? exact : null,
    detail: moduleRead.length === 0 ? 'not measured' : moduleRead
      .map((m) => `round ${m.round}: ${m.statements.total} statements (${m.statements.reads} reads, ${m.statements.writes} writes) / ${m.serverRequests} requests`)
      .join('; '),
  });

  const cached = measurementsOf(run, 'module-read-redis');
  if (cached.length > 0 || validity.has('module-read-redis')) {
    targets.push({
      name: 'module-read-redis: no statement per request once the cache is warm',
      pass: validity.get('module-read-redis') === true && cached.length > 0 ? cached.every((m) => m.statements.total === 0) : null,
      detail: cached.length === 0 ? 'not measured' : cached
        .map((m) => `round ${m.round}: ${m.statements.total} statements / ${m.serverRequests} requests`)
        .join('; '),
    });
  }

  if (run.scale) {
    const list = run.scale.listActive;
    targets.push({
      name: `listActive over ${run.scale.rows.toLocaleString('en')} rows: one indexed query, median < 5 ms`,
      pass: list.statementsPerCall === 1 && list.indexed && list.medianMs < 5,
      detail: `${fixed(list.statementsPerCall, 2)} statements/call, ${list.indexed ? 'indexed' : 'NOT indexed'}, median ${fixed(list.medianMs, 2)} ms, p99 ${fixed(list.p99Ms, 2)} ms`,
    });
  }
  return { kind: run.kind, variants, ratios, targets };
}

// ------------------------------------------------------------------ formatting

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

function integer(value: number): string {
  return Number.isNaN(value) ? '–' : Math.round(value).toLocaleString('en');
}

function mb(bytes: number): string {
  return fixed(bytes / 1024 / 1024, 1);
}

function statementsCell(s: { total: number; reads: number; writes: number; other: number }): string {
  if (Number.isNaN(s.total)) return '–';
  const other = s.other > 0 ? ` + ${fixed(s.other, 3)} other` : '';
  return `${fixed(s.total, 3)} (${fixed(s.reads, 3)} + ${fixed(s.writes, 3)}${other})`;
}

function passText(pass: boolean | null): string {
  return pass === null ? 'n/a' : pass ? 'pass' : 'FAIL';
}

/** A Markdown table with padded columns: valid Markdown, and readable as console text. */
function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function loadCells(load: LoadResult): string[] {
  return [integer(load.requestsPerSecond), fixed(load.latency.p50, 2), fixed(load.latency.p99, 2)];
}

/** What each cache costs in revocation, beside their ratio. */
const REVOCATION_WINDOWS =
  "Revocation windows of the two caches: the module's Redis cache refuses an ended session on the next request, on every " +
  'instance (ending a session deletes or marks its entries before it answers); better-auth\'s cookie cache accepts a ' +
  'revoked session until its signed cookie expires, up to `cookieCache.maxAge` (5 minutes by default), on the device that holds it.';

/** The Markdown section of one database. */
export function databaseMarkdown(run: DatabaseRun, summary: DatabaseSummary): string {
  const out: string[] = [`### ${run.label}`, '', `Database: ${run.description}.`, ''];
  if (run.error) out.push('**The run stopped with an error:**', '', '```', run.error, '```', '');

  out.push(
    table(
      ['variant', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/request', 'statements/request (reads + writes)', 'RSS MB', 'RSS after GC MB'],
      summary.variants.map((v) =>
        v.valid
          ? [
              v.variant,
              integer(v.requestsPerSecond),
              fixed(v.p50Ms, 2),
              fixed(v.p99Ms, 2),
              fixed(v.cpuMicrosPerRequest, 0),
              statementsCell(v.statementsPerRequest),
              fixed(v.rssMb, 1),
              fixed(v.rssAfterGcMb, 1),
            ]
          : [v.variant, 'INVALID', '–', '–', '–', v.problems.join('; '), '–', '–'],
      ),
      ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'r'],
    ),
    '',
    `Medians of ${run.rounds.length} round(s). Latency from every response's own timing. Server CPU: the variant's process, user + system time over the requests it served ` +
      `(the load generator and the database server are not in it). RSS of the variant's own process right after its load ` +
      '(moves with GC timing by tens of MB from round to round), and after a forced full GC (`--expose-gc`) that follows it.',
    '',
  );

  if (summary.ratios.length > 0) {
    const rounds = run.rounds.map((_, i) => `round ${i + 1}`);
    out.push(
      table(
        ['ratio', ...rounds, 'median', 'target', 'result'],
        summary.ratios.map((r) => [
          r.metric === 'req/s' ? `${r.name} (req/s)` : `${r.name}`,
          ...r.perRound.map((value) => (value === null ? 'INVALID' : fixed(value, 2))),
          fixed(r.median, 2),
          r.target ? `${r.target.op === '>=' ? '≥' : '≤'} ${r.target.value}` : '–',
          r.target ? passText(r.pass) : '–',
        ]),
        ['l', ...rounds.map(() => 'r' as const), 'r', 'r', 'l'],
      ),
      '',
    );
  }

  const ran = new Set(run.variants.map((v) => v.variant));
  if (ran.has('module-read-redis') && ran.has('better-auth-cookie-cache')) out.push(REVOCATION_WINDOWS, '');
  out.push('Targets:', '');
  for (const t of summary.targets) out.push(`- ${passText(t.pass)}: ${t.name} (${t.detail})`);
  out.push('', 'Variants:', '');
  for (const v of run.variants) out.push(`- \`${v.variant}\` (${v.route.method} ${v.route.path}): ${v.notes}`);
  out.push('');

  if (run.rounds.length > 0) {
    out.push(
      '<details><summary>Every measurement</summary>',
      '',
      table(
        ['round', 'variant', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'requests', 'statements/request (reads + writes)', 'RSS MB', 'peak RSS MB', 'RSS after GC MB', 'heap after GC MB', 'valid'],
        run.rounds.flat().map((m) => [
          String(m.round),
          m.variant,
          ...loadCells(m.load),
          fixed(m.cpuMicrosPerRequest, 0),
          integer(m.serverRequests),
          statementsCell(m.statementsPerRequest),
          mb(m.memory.rss),
          mb(m.memory.peakRss),
          mb(m.memory.rssAfterGc),
          mb(m.memory.heapUsedAfterGc),
          m.problems.length === 0 ? 'yes' : `INVALID: ${m.problems.join('; ')}`,
        ]),
        ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'l'],
      ),
      '',
      '</details>',
      '',
    );
  }

  if (run.scale) out.push(scaleMarkdown(run.scale));
  else if (run.scaleSkipped) out.push(`Scale checks: skipped (${run.scaleSkipped}).`, '');
  return out.join('\n');
}

function scaleMarkdown(scale: ScaleResult): string {
  const list = scale.listActive;
  const cleanup = scale.cleanup;
  const rows = scale.rows.toLocaleString('en');
  const validity = (load: LoadResult) => (load.problems.length === 0 ? 'valid' : `INVALID: ${load.problems.join('; ')}`);
  const byVerb = Object.entries(cleanup.statements.byVerb).map(([verb, n]) => `${n} ${verb}`).join(', ') || 'none';
  return [
    `#### PostgreSQL at ${rows} rows`,
    '',
    `Seeded in ${fixed(scale.seedSeconds, 1)} s (one \`INSERT … SELECT … FROM generate_series\`, ~20,000 users, plus one user with 50 unexpired sessions), then \`ANALYZE\`.`,
    '',
    `**\`listActive(user)\`** — ${list.calls} calls in-process: median **${fixed(list.medianMs, 2)} ms**, p99 ${fixed(list.p99Ms, 2)} ms, ` +
      `${fixed(list.statementsPerCall, 2)} statement(s) per call, ${list.sessionsReturned} sessions returned, plan ${list.indexed ? 'indexed' : '**not indexed**'}.`,
    '',
    'The SQL the library sent (caught by a TypeORM logger), and its plan:',
    '',
    '```sql',
    list.sql,
    `-- parameters: ${JSON.stringify(list.parameters)}`,
    '```',
    '',
    '```',
    list.explain,
    '```',
    '',
    `**\`clearExpired()\`** on ${cleanup.expiredRows.toLocaleString('en')} expired rows (moved 30 days back in ${fixed(scale.expireSeconds, 1)} s, then \`VACUUM (ANALYZE)\`), ` +
      `while autocannon drove module-read on the same database (from 250 ms before the cleanup to its end):`,
    '',
    table(
      ['', 'value'],
      [
        ['elapsed', `${fixed(cleanup.elapsedMs / 1000, 2)} s`],
        ['rows deleted', cleanup.rowsDeleted.toLocaleString('en')],
        ['expired rows left', cleanup.expiredLeft.toLocaleString('en')],
        ['DELETE statements (batches)', String(cleanup.deleteStatements)],
        ['all statements of the cleanup', byVerb],
        [
          'module-read statements/request during it',
          `${fixed(cleanup.moduleReadStatementsPerRequest, 3)} (${Object.entries(cleanup.moduleReadStatements.byVerb).map(([verb, n]) => `${n} ${verb}`).join(', ')})`,
        ],
      ],
      ['l', 'r'],
    ),
    '',
    table(
      ['module-read', 'req/s', 'p50 ms', 'p99 ms', 'duration s', 'measurement'],
      [
        ['without cleanup', ...loadCells(cleanup.baseline), fixed(cleanup.baseline.duration, 2), validity(cleanup.baseline)],
        ['during cleanup', ...loadCells(cleanup.during), fixed(cleanup.during.duration, 2), validity(cleanup.during)],
      ],
      ['l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ].join('\n');
}

/** The whole report as Markdown. */
export function reportMarkdown(report: BenchReport): string {
  const { machine, settings } = report;
  const versions = Object.entries(report.versions)
    .map(([name, version]) => `${name} ${version ?? '?'}`)
    .join(', ');
  const head = [
    '## HTTP benchmark',
    '',
    `${machine.date}: ${machine.cpu}, ${machine.cores} cores, ${fixed(machine.totalMemoryGb, 1)} GB, Node ${machine.node} (${machine.platform}), ` +
      `load average ${fixed(machine.loadAverageAtStart, 2)} at start; ${versions}. The load generator, the app and the database server share these cores.`,
    '',
    `${settings.rounds} round(s) of ${settings.duration} s per variant, interleaved (every variant once per round, in reverse order every other round), after ${settings.warmup} s of unrecorded warm-up each; ` +
      `${settings.connections} autocannon connections on 127.0.0.1, each with its own session; every variant in its own process; ` +
      `statements counted at the driver in the server process.${settings.quick ? ' **Quick (smoke) run: not a measurement to quote.**' : ''}`,
    '',
  ];
  return [...head, ...report.databases.map((db) => databaseMarkdown(db, db.summary))].join('\n');
}

// ------------------------------------------------------------------ files

export function machineInfo(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown CPU',
    cores: cpus.length,
    totalMemoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg()[0],
  };
}

/** Installed versions of the packages the numbers depend on. */
export function packageVersions(root: string): Record<string, string | null> {
  const names = ['@nestjs/core', '@nestjs/platform-express', 'typeorm', 'better-sqlite3', 'pg', 'mysql2', 'ioredis', 'express-session', 'connect-typeorm', '@nestjs/platform-fastify', '@fastify/session', 'better-auth', '@thallesp/nestjs-better-auth', 'autocannon'];
  return Object.fromEntries(
    names.map((name) => {
      try {
        return [name, (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version];
      } catch {
        return [name, null];
      }
    }),
  );
}

/** Writes `<name>.json`, `<name>.md` and the chart `<name>.svg` into `dir`; returns their paths. */
export function writeResults(report: BenchReport, dir: string, name: string): { json: string; markdown: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const markdown = join(dir, `${name}.md`);
  const svg = join(dir, `${name}.svg`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, `${reportMarkdown(report)}\n`);
  writeFileSync(svg, reportSvg(report));
  return { json, markdown, svg };
}
