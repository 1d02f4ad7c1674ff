/** Exit codes of the command line. */
export const EXIT_OK = 0;
/** The command ran and failed: database unreachable, statement refused, bad data-source file. */
export const EXIT_FAILURE = 1;
/** The command line or DATABASE_URL is wrong; nothing was attempted. */
export const EXIT_USAGE = 2;

/**
 * A failure the command line expects and reports as one line (no stack), with the exit code
 * it ends with.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILURE | typeof EXIT_USAGE = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
