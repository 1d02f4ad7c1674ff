/**
 * Thrown at start-up when `UserSessionsModule` is given options it cannot work with.
 * The message names each wrong option and says how to fix it.
 */
export class InvalidUserSessionsOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid UserSessionsModule options:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.name = 'InvalidUserSessionsOptionsError';
  }
}
