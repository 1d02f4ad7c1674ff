import type { Type } from '@nestjs/common';
import { DefaultNamingStrategy, getMetadataArgsStorage, type MigrationInterface } from 'typeorm';
import type { UserSessionsStaticOptions } from '../options/user-sessions-module-options.interface.js';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';
import { createUserSessionsMigrations, type UserSessionsForeignKeyOptions } from './user-sessions.migrations.js';

/**
 * The migrations of the table that `UserSessionsModule.forRoot(options)` expects, from the very
 * options object the module gets, so that the two cannot disagree. It reads `tableName`,
 * `userIdType`, `devicesTableName`, `activityTableName` and `userEntity` (the foreign key's table and column come from the entity, as
 * TypeORM's default naming strategy names them); every other option is the module's alone.
 *
 * @example
 * export const sessionOptions = { userIdType: 'number', userEntity: () => User } satisfies UserSessionsModuleOptions;
 * // UserSessionsModule.forRoot(sessionOptions) in the app module, and in the DataSource:
 * migrations: [...userSessionsMigrationsFor(sessionOptions), ...yourMigrations]
 */
export function userSessionsMigrationsFor(options: UserSessionsStaticOptions): (new () => MigrationInterface)[] {
  if (options === null || typeof options !== 'object') {
    throw new UserSessionsMigrationError('userSessionsMigrationsFor() takes the options object of UserSessionsModule.forRoot()');
  }
  const userForeignKey = options.userEntity ? foreignKeyTo(options.userEntity()) : undefined;
  return createUserSessionsMigrations({
    ...(options.tableName !== undefined && { tableName: options.tableName }),
    ...(options.userIdType !== undefined && { userIdType: options.userIdType }),
    ...(options.devicesTableName !== undefined && { devicesTableName: options.devicesTableName }),
    ...(options.activityTableName !== undefined && { activityTableName: options.activityTableName }),
    ...(userForeignKey && { userForeignKey }),
  });
}

/** @internal The table and primary key column of an entity class, as TypeORM's default naming strategy names them. */
export function foreignKeyTo(entity: Type<unknown>): UserSessionsForeignKeyOptions {
  const storage = getMetadataArgsStorage();
  const declares = (target: unknown) => target === entity || (typeof target === 'function' && entity.prototype instanceof target);
  const table = storage.tables.find((args) => args.target === entity);
  if (!table) {
    throw new UserSessionsMigrationError(
      `userEntity returns ${entity?.name ?? entity}, which is not a TypeORM entity (@Entity()); give createUserSessionsMigrations({ userForeignKey: { table } }) instead`,
    );
  }
  const primary = storage.columns.filter((args) => declares(args.target) && args.options.primary);
  if (primary.length !== 1) {
    throw new UserSessionsMigrationError(`userEntity ${entity.name} needs exactly one primary key column for user_id to point to; it has ${primary.length}`);
  }
  const naming = new DefaultNamingStrategy();
  const column = primary[0].options.name ?? primary[0].propertyName;
  return { table: naming.tableName(entity.name, table.name), ...(column !== 'id' && { column }) };
}
