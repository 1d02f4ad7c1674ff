import type { ParseArgsConfig } from 'node:util';
import type { UserIdType } from '../session/user-id.js';
import { CliError, EXIT_USAGE } from './cli.error.js';
import type { DatabaseFlags } from './cli-database.js';

/** The `parseArgs` definitions of the flags every command takes. */
export const DATABASE_OPTIONS = {
  'data-source': { type: 'string' },
  'table-name': { type: 'string' },
  'user-id-type': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

/** The help lines of `DATABASE_OPTIONS`. */
export const DATABASE_OPTIONS_HELP = `Database (DATABASE_URL, or a data-source file):
  --data-source <file>    A JS module exporting a TypeORM DataSource (default or named export)
                          whose entities include Session. DATABASE_URL is then not read.
  --table-name <name>     With DATABASE_URL: the session table, as UserSessionsModule's
                          tableName option (default user_sessions).
  --user-id-type <type>   With DATABASE_URL: string, number or uuid, as the module's
                          userIdType option (default string).
  -h, --help              Show this help.`;

type ParsedValues = Record<string, string | boolean | undefined>;

/** The database flags, checked: bad values are usage errors (exit 2). */
export function databaseFlags(values: ParsedValues): DatabaseFlags {
  const dataSource = values['data-source'] as string | undefined;
  const tableName = values['table-name'] as string | undefined;
  const userIdType = values['user-id-type'] as string | undefined;
  if (dataSource !== undefined && (tableName !== undefined || userIdType !== undefined)) {
    throw new CliError(
      '--table-name and --user-id-type go with DATABASE_URL; with --data-source, the file configures the ' +
        'entity itself (configureSessionEntity({ tableName, userIdType })).',
      EXIT_USAGE,
    );
  }
  if (dataSource === '') throw new CliError('--data-source needs the path of a file.', EXIT_USAGE);
  if (tableName !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(tableName)) {
    throw new CliError(
      `--table-name must be a plain SQL identifier (letters, digits, _; at most 63), got "${tableName}".`,
      EXIT_USAGE,
    );
  }
  if (userIdType !== undefined && !['string', 'number', 'uuid'].includes(userIdType)) {
    throw new CliError(`--user-id-type must be string, number or uuid, got "${userIdType}".`, EXIT_USAGE);
  }
  return { dataSource, tableName, userIdType: userIdType as UserIdType | undefined };
}

/** The largest batch, as for the cleanupBatchSize option: one statement must stay short. */
export const MAX_BATCH_SIZE = 100_000;

/** `--max-age <ms>`: the module's maxAge in milliseconds, at least 1000; undefined when absent. */
export function maxAgeFlag(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && /^\d{4,16}$/.test(value) ? Number(value) : NaN;
  if (!(ms >= 1000 && Number.isSafeInteger(ms))) {
    throw new CliError(`--max-age must be the module's maxAge in milliseconds (at least 1000), got "${value}".`, EXIT_USAGE);
  }
  return ms;
}

/** `--batch-size`, checked; undefined when not given. */
export function batchSizeFlag(value: string | boolean | undefined, max = MAX_BATCH_SIZE): number | undefined {
  if (value === undefined) return undefined;
  const size = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(size >= 1 && size <= max)) {
    throw new CliError(`--batch-size must be a whole number from 1 to ${max}, got "${value}".`, EXIT_USAGE);
  }
  return size;
}
