import type { DataSource } from 'typeorm';
import { Session } from '../session/session.entity.js';
import { TypeOrmSessionStorage } from '../storage/typeorm-session.storage.js';
import { SecurityActivityRecord } from '../session/security-activity.entity.js';
import { SecurityActivityService } from '../activity/security-activity.service.js';
import { DEFAULT_CLEANUP_BATCH_SIZE } from '../user-sessions.constants.js';
import { CliError, EXIT_USAGE } from './cli.error.js';
import { withDatabase } from './cli-database.js';
import { batchSizeFlag, DATABASE_OPTIONS, DATABASE_OPTIONS_HELP, databaseFlags } from './cli-flags.js';
import { formatCount, formatElapsed, formatSessions, ProgressLine, type CliIo } from './cli-io.js';
import { EXIT_OK } from './cli.error.js';
import type { CliCommand } from './cli-command.js';

/** `nestjs-user-sessions clear-expired`: the batched delete of `SessionStoreService.clearExpired()`. */
export const clearExpiredCommand: CliCommand = {
  name: 'clear-expired',
  summary: 'Delete the expired sessions, in batches.',
  options: {
    ...DATABASE_OPTIONS,
    'batch-size': { type: 'string' },
    'activity-days': { type: 'string' },
    'activity-table': { type: 'string' },
  },
  help: `Usage: nestjs-user-sessions clear-expired [options]

Deletes the sessions whose expiry date has passed, a batch of rows per statement so that no
lock is held for long, and prints how many it deleted. Run it from cron or a scheduled job.
With the security activity table, it records each signed-in session's expiry there and
deletes the entries older than the history's window, as the module's own cleanup does.

Options:
  --batch-size <n>        Rows deleted per statement, 1 to 100000 (default ${DEFAULT_CLEANUP_BATCH_SIZE}).
  --activity-days <n>     The module's activityHistoryDays (1 to 3650): records each expired
                          signed-in session in the security activity table and deletes its
                          entries older than that. Without it the table is left alone.
  --activity-table <name> With DATABASE_URL: the module's activityTableName
                          (default user_security_activity).

${DATABASE_OPTIONS_HELP}`,

  async run(values, io: CliIo) {
    const activityTable = values['activity-table'] as string | undefined;
    if (activityTable !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(activityTable)) {
      throw new CliError(`--activity-table must be a plain SQL identifier (letters, digits, _; at most 63), got "${activityTable}".`, EXIT_USAGE);
    }
    if (activityTable !== undefined && values['data-source'] !== undefined) {
      throw new CliError('--activity-table goes with DATABASE_URL; with --data-source, the file configures the entity.', EXIT_USAGE);
    }
    const flags = { ...databaseFlags(values), activityTableName: activityTable };
    const batchSize = batchSizeFlag(values['batch-size']) ?? DEFAULT_CLEANUP_BATCH_SIZE;
    const activityDays = activityDaysFlag(values['activity-days']);
    const progress = new ProgressLine(io);
    const started = performance.now();
    try {
      const { deleted, purged } = await withDatabase(flags, io.env, async ({ dataSource }) => {
        const history = await openHistory(dataSource, activityDays);
        const deleted = await new TypeOrmSessionStorage(dataSource.getRepository(Session), batchSize).deleteExpired(new Date(), {
          onProgress: (soFar) => progress.update(`Deleting expired sessions: ${formatCount(soFar)} so far…`),
          onExpired: history ? (sessions) => history.recordExpired(sessions) : undefined,
        });
        return { deleted, purged: history ? await history.purge() : null };
      });
      progress.clear();
      io.stdout.write(`Deleted ${formatSessions(deleted, 'expired')} in ${formatElapsed(started)}.\n`);
      if (purged !== null) io.stdout.write(`Deleted ${formatCount(purged)} security activity ${purged === 1 ? 'entry' : 'entries'} older than ${activityDays} days.\n`);
      return EXIT_OK;
    } finally {
      progress.clear();
    }
  },
};

/**
 * `--activity-days <n>`: the module's activityHistoryDays, 1 to 3650; 0 when absent (the table
 * is left alone: the command cannot know whether the app keeps a history, or for how long).
 */
function activityDaysFlag(value: string | boolean | undefined): number {
  if (value === undefined) return 0;
  const days = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(days >= 1 && days <= 3650)) {
    throw new CliError(`--activity-days must be the module's activityHistoryDays, 1 to 3650, got "${value}".`, EXIT_USAGE);
  }
  return days;
}

/** The security activity history, when it is kept and its table exists; else null (nothing recorded or purged). */
async function openHistory(dataSource: DataSource, days: number): Promise<SecurityActivityService | null> {
  if (days === 0 || !dataSource.hasMetadata(SecurityActivityRecord)) return null;
  const repository = dataSource.getRepository(SecurityActivityRecord);
  const runner = dataSource.createQueryRunner();
  try {
    if (!(await runner.hasTable(repository.metadata.tablePath))) return null;
  } finally {
    await runner.release();
  }
  return new SecurityActivityService(repository, days, null);
}
