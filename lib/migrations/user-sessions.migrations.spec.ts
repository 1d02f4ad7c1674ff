import { describe, expect, it } from 'vitest';
import { createUserSessionsMigrations, UserSessionsMigrations, type UserSessionsMigrationsOptions } from './user-sessions.migrations.js';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';

const names = (migrations: (new () => { name?: string })[]) => migrations.map((Migration) => new Migration().name);

describe('createUserSessionsMigrations', () => {
  it('the default tables are three migrations; the foreign key adds its own, at the default or given timestamp, in timestamp order', () => {
    expect(names(UserSessionsMigrations)).toEqual(['CreateUserSessions1795651200000', 'AddSessionKeyRotation1796515200000', 'AddDevicesAndActivity1796601600000']);
    expect(names(createUserSessionsMigrations({ tableName: 'app_sessions', userIdType: 'uuid' }))).toEqual([
      'CreateUserSessions1795651200000',
      'AddSessionKeyRotation1796515200000',
      'AddDevicesAndActivity1796601600000',
    ]);
    expect(names(createUserSessionsMigrations({ userForeignKey: { table: 'users' } }))).toEqual([
      'CreateUserSessions1795651200000',
      'AddUserSessionsForeignKey1795651200001',
      'AddSessionKeyRotation1796515200000',
      'AddDevicesAndActivity1796601600000',
    ]);
    expect(names(createUserSessionsMigrations({ userForeignKey: { table: 'users', timestamp: 1800000000001 } }))).toEqual([
      'CreateUserSessions1795651200000',
      'AddSessionKeyRotation1796515200000',
      'AddDevicesAndActivity1796601600000',
      'AddUserSessionsForeignKey1800000000001',
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-object', 'user_sessions', /takes an options object/],
    ['an unknown option', { userEntity: () => Object }, /unknown option "userEntity"; the options are: tableName, userIdType, devicesTableName, activityTableName, userForeignKey/],
    ['a table name that is not an identifier', { tableName: 'sessions; DROP TABLE users' }, /tableName must be a plain SQL identifier/],
    ['a devices table name that is not an identifier', { devicesTableName: 'devices"' }, /devicesTableName must be a plain SQL identifier/],
    ['an activity table name that is not an identifier', { activityTableName: '' }, /activityTableName must be a plain SQL identifier/],
    ['an unknown user id type', { userIdType: 'bigint' }, /userIdType must be 'string', 'number' or 'uuid', got "bigint"/],
    ['a foreign key that is not an object', { userForeignKey: 'users' }, /userForeignKey must be an object/],
    ['a foreign key without a table', { userForeignKey: {} }, /userForeignKey.table must be a plain SQL identifier .*got undefined/],
    ['a foreign key column that is not an identifier', { userForeignKey: { table: 'users', column: 'id"' } }, /userForeignKey.column must be/],
    ['an unknown foreign key option', { userForeignKey: { table: 'users', onDelete: 'SET NULL' } }, /unknown option "userForeignKey.onDelete"/],
    ['a timestamp in seconds', { userForeignKey: { table: 'users', timestamp: 1800000000 } }, /13-digit millisecond timestamp after 1795651200000/],
    ['a timestamp before the table exists', { userForeignKey: { table: 'users', timestamp: 1700000000000 } }, /timestamp after 1795651200000/],
    ['a fractional timestamp', { userForeignKey: { table: 'users', timestamp: 1800000000000.5 } }, /userForeignKey.timestamp must be/],
  ])('refuses %s with a message that says the fix', (_case, options, message) => {
    const call = () => createUserSessionsMigrations(options as UserSessionsMigrationsOptions);
    expect(call).toThrow(UserSessionsMigrationError);
    expect(call).toThrow(message);
  });

  it('names every wrong option at once', () => {
    const call = () => createUserSessionsMigrations({ tableName: '1x', userIdType: 'int' as 'number' });
    expect(call).toThrow(/tableName must be[^]*userIdType must be/);
  });
});
