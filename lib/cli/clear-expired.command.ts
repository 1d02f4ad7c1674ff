import { Session } from '../session/session.entity.js';
import { TypeOrmSessionStorage } from '../storage/typeorm-session.storage.js';
import { DEFAULT_CLEANUP_BATCH_SIZE } from '../user-sessions.constants.js';
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
  },
  help: `Usage: nestjs-user-sessions clear-expired [options]

Deletes the sessions whose expiry date has passed, a batch of rows per statement so that no
lock is held for long, and prints how many it deleted. Run it from cron or a scheduled job.

Options:
  --batch-size <n>        Rows deleted per statement, 1 to 100000 (default ${DEFAULT_CLEANUP_BATCH_SIZE}).

${DATABASE_OPTIONS_HELP}`,

  async run(values, io: CliIo) {
    const flags = databaseFlags(values);
    const batchSize = batchSizeFlag(values['batch-size']) ?? DEFAULT_CLEANUP_BATCH_SIZE;
    const progress = new ProgressLine(io);
    const started = performance.now();
    try {
      const deleted = await withDatabase(flags, io.env, ({ dataSource }) =>
        new TypeOrmSessionStorage(dataSource.getRepository(Session), batchSize).deleteExpired(
          new Date(),
          { onProgress: (soFar) => progress.update(`Deleting expired sessions: ${formatCount(soFar)} so far…`) },
        ),
      );
      progress.clear();
      io.stdout.write(`Deleted ${formatSessions(deleted, 'expired')} in ${formatElapsed(started)}.\n`);
      return EXIT_OK;
    } finally {
      progress.clear();
    }
  },
};
