import type { DataSource } from 'typeorm';

/** Options of `importExpressSessions()`. */
export interface ImportExpressSessionsOptions {
  /**
   * The connect-typeorm table to read (columns `id`, `expiredAt`, `json`, `destroyedAt`).
   * @default 'session'
   */
  table?: string;
  /**
   * Dot path of the user id inside the old session data, e.g. `'passport.user'`; unset or not
   * found leaves the imported session anonymous.
   */
  userPath?: string;
  /** Rows read and written per statement. @default 500 */
  batchSize?: number;
  /** Called after each batch with the running totals. */
  onProgress?: (progress: ImportExpressSessionsResult) => void;
}

/** What an import did. */
export interface ImportExpressSessionsResult {
  /** Old rows read (unexpired, not destroyed). */
  read: number;
  /** New rows written to the session table. */
  imported: number;
  /** Rows already imported by an earlier run (or already moved over), left alone. */
  alreadyImported: number;
}

/**
 * CONTRACT PLACEHOLDER — replaced by the real implementation on the express-session branch.
 * Copies the unexpired, undeleted express-session rows of `dataSource` into the `Session`
 * table (the entity must be registered in `dataSource`), idempotently.
 */
export async function importExpressSessions(
  _dataSource: DataSource,
  _options: ImportExpressSessionsOptions = {},
): Promise<ImportExpressSessionsResult> {
  throw new Error('importExpressSessions is not implemented yet');
}
