/**
 * Thrown by the session-table migrations: options `createUserSessionsMigrations()` cannot
 * work with, or a database a migration cannot start from (the table is already there, the
 * users table is not). The message says the fix.
 */
export class UserSessionsMigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserSessionsMigrationError';
  }
}
