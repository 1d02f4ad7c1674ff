/**
 * Thrown by `importExpressSessions()` when it cannot start: a bad option, a missing table, a
 * table that is not connect-typeorm's. The message says what to fix; nothing was written.
 */
export class ExpressSessionImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressSessionImportError';
  }
}
