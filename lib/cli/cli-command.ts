import type { ParseArgsConfig } from 'node:util';
import type { CliIo } from './cli-io.js';

/** One command of the command line. */
export interface CliCommand {
  /** What follows `nestjs-user-sessions` on the command line. */
  name: string;
  /** One line, for the tool's help. */
  summary: string;
  /** Its flags, for `util.parseArgs` (strict: any other flag is a usage error). */
  options: NonNullable<ParseArgsConfig['options']>;
  /** The text of `--help`. */
  help: string;
  /** Runs with the parsed flags; returns the exit code or throws a `CliError`. */
  run(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number>;
}
