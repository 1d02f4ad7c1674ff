/**
 * Thrown at start-up when the session table is missing or does not match the module's options
 * (the `schemaCheck` option): the message names what differs and the migration that fixes it.
 */
export class SessionTableMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionTableMismatchError';
  }
}
