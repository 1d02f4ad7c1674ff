import type { MigrationInterface } from 'typeorm';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';
import { DEFAULT_ACTIVITY_TABLE_NAME, DEFAULT_DEVICES_TABLE_NAME, DEFAULT_TABLE_NAME } from '../user-sessions.constants.js';
import { ADD_DEVICES_AND_ACTIVITY_TIMESTAMP, addDevicesAndActivityMigration } from './add-devices-and-activity.migration.js';
import type { UserIdType } from '../session/user-id.js';
import { addUserSessionsForeignKeyMigration } from './add-user-sessions-foreign-key.migration.js';
import { CREATE_USER_SESSIONS_TIMESTAMP, createUserSessionsTableMigration } from './create-user-sessions.migration.js';
import { ADD_SESSION_KEY_ROTATION_TIMESTAMP, addSessionKeyRotationMigration } from './add-session-key-rotation.migration.js';
import type { UserSessionsTableShape } from './user-sessions-table-shape.js';

/**
 * The table the migrations create: the same `tableName` and `userIdType` as
 * `UserSessionsModule`, and `userForeignKey` when the module has `userEntity`.
 */
export interface UserSessionsMigrationsOptions {
  /**
   * Name of the session table, as the module's `tableName`.
   * @default 'user_sessions'
   */
  tableName?: string;

  /**
   * Type of the `user_id` column, as the module's `userIdType`.
   * @default 'string'
   */
  userIdType?: UserIdType;

  /**
   * Name of the known devices table, as the module's `devicesTableName`.
   * @default 'user_devices'
   */
  devicesTableName?: string;

  /**
   * Name of the security activity table, as the module's `activityTableName`.
   * @default 'user_security_activity'
   */
  activityTableName?: string;

  /**
   * The foreign key from `user_id` to the app's users table, `ON DELETE CASCADE`: give it
   * when the module has `userEntity`. It comes as a migration of its own,
   * `AddUserSessionsForeignKey<timestamp>`.
   * @default unset: no foreign key, as without `userEntity`
   * @example userForeignKey: { table: 'users' }
   */
  userForeignKey?: UserSessionsForeignKeyOptions;
}

/** Where `user_id` points, and when the foreign key is added. */
export interface UserSessionsForeignKeyOptions {
  /** Table of the app's User entity. */
  table: string;

  /**
   * The primary key column of `table`.
   * @default 'id'
   */
  column?: string;

  /**
   * Timestamp of the migration that adds the key (13 digits, as TypeORM reads it from the
   * name). TypeORM runs pending migrations in timestamp order, so on an empty database this
   * must be later than the migration that creates `table`: when that one is newer than
   * the default, give a timestamp after it. Never change it once the migration has run.
   * @default 1795651200001, right after the session table's migration
   */
  timestamp?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const OPTIONS = ['tableName', 'userIdType', 'devicesTableName', 'activityTableName', 'userForeignKey'];
const FOREIGN_KEY_OPTIONS = ['table', 'column', 'timestamp'];
const USER_ID_TYPES = ['string', 'number', 'uuid'];

/**
 * The migrations that create and then evolve the session table, oldest first, for an app that
 * runs migrations rather than `synchronize`. Give it the options the module has.
 * @example
 * migrations: [
 *   ...createUserSessionsMigrations({ userIdType: 'number', userForeignKey: { table: 'users' } }),
 *   CreateUsers1700000000000,
 * ]
 */
export function createUserSessionsMigrations(options: UserSessionsMigrationsOptions = {}): (new () => MigrationInterface)[] {
  const shape = resolveTableShape(options);

  // The schema's history, append-only. A release that changes the Session entity adds one
  // migration file beside these, with a name ending in a timestamp later than every one
  // before it, and appends it here; the migration specs then check that running them all
  // still leaves an empty schema diff. A released migration is never edited, renamed or
  // removed: apps have recorded its name as run and their tables are in the shape it left.
  // The foreign key runs at the app's timestamp, so it may come after later migrations:
  // none may rely on it being there.
  const migrations = [
    { timestamp: CREATE_USER_SESSIONS_TIMESTAMP, migration: createUserSessionsTableMigration(shape) },
    { timestamp: ADD_SESSION_KEY_ROTATION_TIMESTAMP, migration: addSessionKeyRotationMigration(shape.tableName) },
    { timestamp: ADD_DEVICES_AND_ACTIVITY_TIMESTAMP, migration: addDevicesAndActivityMigration(shape) },
  ];
  if (shape.userForeignKey) {
    migrations.push({ timestamp: shape.userForeignKey.timestamp, migration: addUserSessionsForeignKeyMigration(shape.tableName, shape.userForeignKey) });
  }
  // In the order TypeORM runs them.
  return migrations.sort((a, b) => a.timestamp - b.timestamp).map(({ migration }) => migration);
}

/**
 * The migrations for the default table: `user_sessions`, string user ids, no foreign key.
 * @example migrations: [...UserSessionsMigrations, ...yourMigrations]
 */
export const UserSessionsMigrations = createUserSessionsMigrations();

function resolveTableShape(options: UserSessionsMigrationsOptions): UserSessionsTableShape {
  if (options === null || typeof options !== 'object') {
    throw new UserSessionsMigrationError('createUserSessionsMigrations() takes an options object');
  }
  const problems: string[] = [];
  const unknown = (given: object, known: string[], prefix: string) => {
    for (const key of Object.keys(given)) {
      if (!known.includes(key)) problems.push(`unknown option "${prefix}${key}"; the options are: ${known.join(', ')}`);
    }
  };
  const identifier = (value: unknown, name: string) => {
    if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
      problems.push(`${name} must be a plain SQL identifier (letters, digits, _; at most 63), got ${JSON.stringify(value)}`);
    }
  };

  unknown(options, OPTIONS, '');
  const shape: UserSessionsTableShape = {
    tableName: options.tableName ?? DEFAULT_TABLE_NAME,
    userIdType: options.userIdType ?? 'string',
    devicesTableName: options.devicesTableName ?? DEFAULT_DEVICES_TABLE_NAME,
    activityTableName: options.activityTableName ?? DEFAULT_ACTIVITY_TABLE_NAME,
  };
  identifier(shape.tableName, 'tableName');
  identifier(shape.devicesTableName, 'devicesTableName');
  identifier(shape.activityTableName, 'activityTableName');
  if (!USER_ID_TYPES.includes(shape.userIdType)) {
    problems.push(`userIdType must be 'string', 'number' or 'uuid', got ${JSON.stringify(shape.userIdType)}`);
  }

  const foreignKey = options.userForeignKey;
  if (foreignKey !== undefined) {
    if (foreignKey === null || typeof foreignKey !== 'object') {
      problems.push("userForeignKey must be an object such as { table: 'users' }");
    } else {
      unknown(foreignKey, FOREIGN_KEY_OPTIONS, 'userForeignKey.');
      shape.userForeignKey = {
        table: foreignKey.table,
        column: foreignKey.column ?? 'id',
        timestamp: foreignKey.timestamp ?? CREATE_USER_SESSIONS_TIMESTAMP + 1,
      };
      identifier(shape.userForeignKey.table, 'userForeignKey.table');
      identifier(shape.userForeignKey.column, 'userForeignKey.column');
      const { timestamp } = shape.userForeignKey;
      if (!Number.isInteger(timestamp) || String(timestamp).length !== 13 || timestamp <= CREATE_USER_SESSIONS_TIMESTAMP) {
        problems.push(
          `userForeignKey.timestamp must be a 13-digit millisecond timestamp after ${CREATE_USER_SESSIONS_TIMESTAMP} ` +
            `(the session table's migration), got ${JSON.stringify(timestamp)}`,
        );
      }
    }
  }

  if (problems.length > 0) {
    throw new UserSessionsMigrationError(
      `Invalid createUserSessionsMigrations() options:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
  return shape;
}
