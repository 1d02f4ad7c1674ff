/** The bench's command-line flags. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { VARIANT_NAMES, type DatabaseKind, type VariantName } from './protocol.js';

export interface BenchSettings {
  /** Seconds per measurement. */
  duration: number;
  rounds: number;
  connections: number;
  /** Seconds of unrecorded load per variant before the first round. */
  warmup: number;
  /** Databases asked for; null = SQLite plus whichever of PostgreSQL / MariaDB answers. */
  databases: DatabaseKind[] | null;
  quick: boolean;
  /** Rows for PostgreSQL's scale checks; 0 skips them. */
  scaleRows: number;
  /** Only these variants (of those that run on a database); null = all. */
  variants: VariantName[] | null;
  /** Where children write V8 CPU profiles (`--cpu-prof`); null = none. */
  cpuProfileDir: string | null;
}

export const HELP = `Usage: node dist/bench/run.js [flags]

HTTP benchmark of nestjs-user-sessions against a bare Nest app, a hand-written floor
(one raw primary-key SELECT), express-session + connect-typeorm, @fastify/session and
better-auth, every variant in its own process, interleaved in rounds (A B C, C B A, A B C …).

  --duration <s>       seconds per measurement (default 5)
  --rounds <n>         rounds of every variant (default 3)
  --connections <n>    autocannon connections, and sessions per variant (default 50)
  --warmup <s>         unrecorded load per variant before round 1 (default 2; 1 with --quick)
  --databases <list>   comma list of sqlite, postgres, mariadb (default: sqlite plus
                       whichever of postgres / mariadb answers on its port)
  --scale-rows <n>     rows for PostgreSQL's listActive / clearExpired checks
                       (default 1000000; 0 skips them)
  --variants <list>    comma list of variants to run (default: all that apply), e.g.
                       bare,floor,module-read; ratios need both of their variants
  --cpu-prof <dir>     each variant's process writes a V8 CPU profile into <dir> when
                       it stops (open it in Chrome DevTools); the profiler slows it
  --quick              smoke run: duration 1, rounds 1, no scale checks (flags given
                       explicitly still win); writes quick.json / quick.md instead of
                       latest.*; with --variants or --cpu-prof: partial.*
  --help               this text

Connection settings: PGHOST, PGPORT, PGUSER (default 127.0.0.1:5432, postgres; the bench
creates and drops its own database bench_<pid>), MYSQL_HOST, MYSQL_PORT, MYSQL_USER,
MYSQL_PASSWORD (default 127.0.0.1:3306, root, empty), REDIS_HOST, REDIS_PORT (default
127.0.0.1:6379, for module-read-redis; skipped when Redis does not answer). Results:
bench/results/latest.json, latest.md and the chart latest.svg.`;

const KINDS: DatabaseKind[] = ['sqlite', 'postgres', 'mariadb'];

function positive(name: string, value: string | undefined, fallback: number, { integer = true, allowZero = false } = {}): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  const ok = Number.isFinite(number) && (allowZero ? number >= 0 : number > 0) && (!integer || Number.isInteger(number));
  if (!ok) throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number${allowZero ? '' : ' above 0'}, got ${value}`);
  return number;
}

/** Parses `argv`; returns null when --help was asked for. Throws on bad flags. */
export function parseSettings(argv: string[]): BenchSettings | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      databases: { type: 'string' },
      'scale-rows': { type: 'string' },
      variants: { type: 'string' },
      'cpu-prof': { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick ?? false;
  let databases: DatabaseKind[] | null = null;
  if (values.databases !== undefined) {
    const names = values.databases.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
    const unknown = names.filter((name) => !KINDS.includes(name as DatabaseKind));
    if (unknown.length > 0 || names.length === 0) {
      throw new Error(`--databases takes a comma list of ${KINDS.join(', ')}; got ${values.databases}`);
    }
    databases = [...new Set(names as DatabaseKind[])];
  }
  let variants: VariantName[] | null = null;
  if (values.variants !== undefined) {
    const names = values.variants.split(',').map((name) => name.trim()).filter(Boolean);
    const unknown = names.filter((name) => !VARIANT_NAMES.includes(name as VariantName));
    if (unknown.length > 0 || names.length === 0) {
      throw new Error(`--variants takes a comma list of ${VARIANT_NAMES.join(', ')}; got ${values.variants}`);
    }
    variants = [...new Set(names as VariantName[])];
  }
  return {
    variants,
    cpuProfileDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : null,
    duration: positive('duration', values.duration, quick ? 1 : 5, { integer: false }),
    rounds: positive('rounds', values.rounds, quick ? 1 : 3),
    connections: positive('connections', values.connections, 50),
    warmup: positive('warmup', values.warmup, quick ? 1 : 2, { integer: false, allowZero: true }),
    databases,
    quick,
    scaleRows: positive('scale-rows', values['scale-rows'], quick ? 0 : 1_000_000, { allowZero: true }),
  };
}
