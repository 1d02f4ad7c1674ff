import {
  importExpressSessions,
  MAX_IMPORT_BATCH_SIZE,
  type ImportExpressSessionsResult,
} from '../express-session/express-session-import.js';
import { withDatabase } from './cli-database.js';
import { batchSizeFlag, maxAgeFlag, DATABASE_OPTIONS, DATABASE_OPTIONS_HELP, databaseFlags } from './cli-flags.js';
import { formatCount, formatElapsed, formatSessions, ProgressLine, type CliIo } from './cli-io.js';
import { CliError, EXIT_OK, EXIT_USAGE } from './cli.error.js';
import type { CliCommand } from './cli-command.js';

const DEFAULT_TABLE = 'session';

/** "1,200 imported, 34 already imported, 2 skipped". */
function tally({ imported, alreadyImported, skipped = 0 }: ImportExpressSessionsResult): string {
  return `${formatCount(imported)} imported, ${formatCount(alreadyImported)} already imported, ${formatCount(skipped)} skipped`;
}

/** `nestjs-user-sessions import-express-sessions`: `importExpressSessions()` from the command line. */
export const importExpressSessionsCommand: CliCommand = {
  name: 'import-express-sessions',
  summary: 'Copy the live sessions of a connect-typeorm (express-session) table.',
  options: {
    ...DATABASE_OPTIONS,
    table: { type: 'string' },
    'user-path': { type: 'string' },
    'batch-size': { type: 'string' },
    'max-age': { type: 'string' },
  },
  help: `Usage: nestjs-user-sessions import-express-sessions [options]

Copies the unexpired, undestroyed sessions of a connect-typeorm table (columns id, expiredAt,
json, destroyedAt) into the session table, so that users stay signed in after the move. Running
it again imports only what is new.

Options:
  --table <name>          The connect-typeorm table (default ${DEFAULT_TABLE}).
  --user-path <path>      Dot path of the user id inside the old session data, such as
                          passport.user; without it, the sessions are imported anonymous.
                          Sessions whose user id does not fit the user id type, or whose
                          user no longer exists, are skipped (and counted).
  --batch-size <n>        Rows read and written per statement, 1 to ${MAX_IMPORT_BATCH_SIZE} (default 500).
  --max-age <ms>          The module's maxAge: no session is imported with a later expiry than
                          this many milliseconds from now (default 1209600000, 14 days).

${DATABASE_OPTIONS_HELP}`,

  async run(values, io: CliIo) {
    const flags = databaseFlags(values);
    const table = (values.table as string | undefined) ?? DEFAULT_TABLE;
    const userPath = values['user-path'] as string | undefined;
    if (table === '') throw new CliError('--table needs the name of the connect-typeorm table.', EXIT_USAGE);
    if (userPath === '') throw new CliError('--user-path needs a dot path such as passport.user.', EXIT_USAGE);
    const batchSize = batchSizeFlag(values['batch-size'], MAX_IMPORT_BATCH_SIZE);
    const maxAge = maxAgeFlag(values['max-age']);
    const progress = new ProgressLine(io);
    const started = performance.now();
    try {
      const result = await withDatabase(flags, io.env, ({ dataSource }) =>
        importExpressSessions(dataSource, {
          table,
          userPath,
          batchSize,
          maxAge,
          onProgress: (soFar) => progress.update(`Importing: ${formatCount(soFar.read)} read, ${tally(soFar)}…`),
        }),
      );
      progress.clear();
      io.stdout.write(
        `Read ${formatSessions(result.read)} from "${table}": ${tally(result)}, in ${formatElapsed(started)}.\n`,
      );
      return EXIT_OK;
    } finally {
      progress.clear();
    }
  },
};
