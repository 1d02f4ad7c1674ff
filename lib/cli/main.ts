import { parseArgs } from 'node:util';
import { DATABASE_URL_FORMS } from './database-url.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli.error.js';
import type { CliCommand } from './cli-command.js';
import type { CliIo } from './cli-io.js';
import { clearExpiredCommand } from './clear-expired.command.js';
import { importExpressSessionsCommand } from './import-express-sessions.command.js';

const PROGRAM = 'nestjs-user-sessions';

const COMMANDS: CliCommand[] = [clearExpiredCommand, importExpressSessionsCommand];

const HELP = `Usage: ${PROGRAM} <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(25)} ${command.summary}`).join('\n')}

The database is DATABASE_URL: ${DATABASE_URL_FORMS};
or --data-source <file>: a JS module exporting a TypeORM DataSource that includes Session.
Run "${PROGRAM} <command> --help" for the options of a command.

Exit codes: 0 done, 1 failed (database unreachable, statement refused), 2 wrong usage.`;

/**
 * The command line, in-process: runs `argv` (without node and the script) against `io` and
 * returns the exit code. Expected failures are one line on stderr, never a stack.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`${PROGRAM}: ${error.message}\n`);
      return error.exitCode;
    }
    // Not a failure we foresaw: the stack is what a bug report needs.
    io.stderr.write(`${PROGRAM}: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr.write(`${HELP}\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const command = args[0] === undefined ? undefined : findCommand(args[0]);
    io.stdout.write(`${command?.help ?? HELP}\n`);
    return EXIT_OK;
  }
  const command = findCommand(name);
  const values = parseFlags(command, args);
  if (values.help) {
    io.stdout.write(`${command.help}\n`);
    return EXIT_OK;
  }
  return command.run(values, io);
}

function findCommand(name: string): CliCommand {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command) return command;
  const what = name.startsWith('-') ? `The command comes first, not "${name}"` : `Unknown command "${name}"`;
  throw new CliError(
    `${what}; the commands are ${COMMANDS.map((candidate) => candidate.name).join(', ')}. ` +
      `Run "${PROGRAM} --help" for usage.`,
    EXIT_USAGE,
  );
}

function parseFlags(command: CliCommand, args: string[]): Record<string, string | boolean | undefined> {
  try {
    // No option is declared `multiple`, so no value is an array.
    const { values } = parseArgs({ args, options: command.options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(message)?.[1] : undefined;
    // Node's own messages go on about positionals after "--"; the first sentence says it.
    const problem = unknown !== undefined ? `unknown option ${unknown}` : message.split('. ')[0].replace(/\.$/, '');
    throw new CliError(`${command.name}: ${problem}. Run "${PROGRAM} ${command.name} --help" for usage.`, EXIT_USAGE);
  }
}
