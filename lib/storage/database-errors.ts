/**
 * Whether the database answered that the statement itself is wrong (SQLSTATE class 22 data,
 * 23 constraint, 42 syntax or access; SQLite's constraint errors) rather than that it could
 * not be reached. Such an error is a bug or bad input to surface, not an outage to retry.
 */
export function isStatementError(error: unknown): boolean {
  const driverError = ((error as { driverError?: unknown })?.driverError ?? error) as {
    code?: unknown;
    sqlState?: unknown;
  };
  const code = typeof driverError?.code === 'string' ? driverError.code : '';
  const sqlState = typeof driverError?.sqlState === 'string' ? driverError.sqlState : /^[0-9A-Z]{5}$/.test(code) ? code : '';
  return /^(22|23|42)/.test(sqlState) || code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_ERROR';
}
