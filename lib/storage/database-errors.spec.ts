import { describe, expect, it } from 'vitest';
import { isStatementError } from './database-errors.js';

describe('isStatementError', () => {
  it('tells a refused statement from an unreachable database', () => {
    expect(isStatementError({ driverError: { code: '23503' } })).toBe(true); // PostgreSQL foreign key
    expect(isStatementError({ driverError: { code: 'ER_NO_REFERENCED_ROW_2', sqlState: '23000' } })).toBe(true);
    expect(isStatementError({ driverError: { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' } })).toBe(true);
    expect(isStatementError({ code: 'ECONNREFUSED' })).toBe(false);
    expect(isStatementError({ driverError: { code: '57P01' } })).toBe(false); // admin shutdown
    expect(isStatementError({ code: 'PROTOCOL_CONNECTION_LOST' })).toBe(false);
    expect(isStatementError(new TypeError('The database connection is not open'))).toBe(false);
    expect(isStatementError(undefined)).toBe(false);
  });
});
