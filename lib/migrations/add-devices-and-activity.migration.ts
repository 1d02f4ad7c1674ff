import { Table, TableIndex, type ColumnType, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';
import type { UserIdType } from '../session/user-id.js';

/** Timestamp of the known devices and security activity migration, 2026-12-07. */
export const ADD_DEVICES_AND_ACTIVITY_TIMESTAMP = 1796601600000;

// Copies, not imports, as in the first migration: a released migration keeps its shape.
const USER_ID_COLUMN: Record<UserIdType, { type: ColumnType; length?: number }> = {
  string: { type: 'varchar', length: 255 },
  number: { type: 'integer' },
  uuid: { type: 'uuid' },
};

/** The two tables' names and the user id type. */
export interface DevicesAndActivityShape {
  devicesTableName: string;
  activityTableName: string;
  userIdType: UserIdType;
}

/**
 * Version 3: the known devices table (`user_devices`: one row per user and device cookie, with
 * what the user answered to "Was this you?") and the security activity history
 * (`user_security_activity`). The session table is not touched.
 */
export function addDevicesAndActivityMigration(shape: DevicesAndActivityShape): new () => MigrationInterface {
  const userId = USER_ID_COLUMN[shape.userIdType];
  return class AddDevicesAndActivity1796601600000 implements MigrationInterface {
    readonly name = `AddDevicesAndActivity${ADD_DEVICES_AND_ACTIVITY_TIMESTAMP}`;

    async up(queryRunner: QueryRunner): Promise<void> {
      for (const table of [shape.devicesTableName, shape.activityTableName]) {
        if (await queryRunner.hasTable(table)) {
          throw new UserSessionsMigrationError(
            `${this.name} creates the table "${table}", which already exists. If synchronize or a migration of ` +
              `your own made it, record ${this.name} as run instead of running it (see docs/migrations.md).`,
          );
        }
      }
      const driver = queryRunner.connection.driver;
      const column = (
        name: string,
        type: ColumnType,
        options: { length?: number; nullable?: boolean; primary?: boolean; generated?: boolean } = {},
      ): TableColumnOptions => ({
        name,
        type: driver.normalizeType({ type }),
        length: options.length?.toString(),
        isNullable: options.nullable ?? false,
        isPrimary: options.primary ?? false,
        ...(options.generated && { isGenerated: true, generationStrategy: 'increment' as const }),
      });
      await queryRunner.createTable(
        new Table({
          name: shape.devicesTableName,
          columns: [
            column('device_id', 'varchar', { length: 32, primary: true }),
            column('user_id', userId.type, { length: userId.length }),
            column('key_digest', 'varchar', { length: 64 }),
            column('first_seen', Date),
            column('last_seen', Date),
            column('user_agent', 'varchar', { length: 200, nullable: true }),
            column('client_platform', 'varchar', { length: 32, nullable: true }),
            column('client_platform_version', 'varchar', { length: 32, nullable: true }),
            column('ip', 'varchar', { length: 45, nullable: true }),
            column('trust', 'varchar', { length: 16 }),
            column('confirm_digest', 'varchar', { length: 64, nullable: true }),
            column('report_digest', 'varchar', { length: 64, nullable: true }),
            column('answers_expire_at', Date, { nullable: true }),
          ],
          indices: [
            new TableIndex({ columnNames: ['user_id', 'key_digest'], isUnique: true }),
            new TableIndex({ columnNames: ['user_id', 'last_seen'] }),
          ],
        }),
      );
      await queryRunner.createTable(
        new Table({
          name: shape.activityTableName,
          columns: [
            column('id', 'integer', { primary: true, generated: true }),
            column('user_id', userId.type, { length: userId.length }),
            column('kind', 'varchar', { length: 32 }),
            column('at', Date),
            column('session_id', 'varchar', { length: 64, nullable: true }),
            column('device_id', 'varchar', { length: 32, nullable: true }),
            column('ip', 'varchar', { length: 45, nullable: true }),
            column('user_agent', 'varchar', { length: 200, nullable: true }),
            column('details', 'text', { nullable: true }),
          ],
          indices: [new TableIndex({ columnNames: ['user_id', 'id'] }), new TableIndex({ columnNames: ['at'] })],
        }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropTable(shape.activityTableName, true);
      await queryRunner.dropTable(shape.devicesTableName, true);
    }
  };
}
