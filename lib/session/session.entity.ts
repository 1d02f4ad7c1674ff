import {
  Column,
  Entity,
  getMetadataArgsStorage,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import type { Type } from '@nestjs/common';
import { DEFAULT_ACTIVITY_TABLE_NAME, DEFAULT_DEVICES_TABLE_NAME, DEFAULT_TABLE_NAME, MAX_USER_AGENT_LENGTH } from '../user-sessions.constants.js';
import { UserDevice } from './user-device.entity.js';
import { SecurityActivityRecord } from './security-activity.entity.js';
import type { UserId, UserIdType } from './user-id.js';
import { SessionEntityConfigurationError } from '../exceptions/session-entity-configuration.error.js';

/**
 * One row per session. The primary key is the SHA-256 digest of the session key: the key
 * itself lives only in the user's cookie (see `session-key.ts`). The session's public id is a
 * column of its own, since the key changes (rotation, re-authentication) and the id does not.
 */
@Entity(DEFAULT_TABLE_NAME)
export class Session {
  /** SHA-256 digest of the current session key, hex: what a request's cookie is looked up by. */
  @PrimaryColumn({ name: 'key_digest', type: 'varchar', length: 64 })
  keyDigest: string;

  /**
   * The session's public, opaque id, for lists, events and "End session": the digest of the key
   * it started with (created or signed in), kept while the key changes.
   */
  @Index({ unique: true })
  @Column({ name: 'session_id', type: 'varchar', length: 64 })
  id: string;

  /**
   * Digest of the key the last rotation replaced (see `rotationInterval`): a request carrying
   * it is in flight, or a stolen copy. Null before the first rotation and after a sign-in.
   */
  @Index()
  @Column({ name: 'previous_key_digest', type: 'varchar', length: 64, nullable: true })
  previousKeyDigest: string | null;

  /** The current key, sealed under the previous one (see `sealRotatedKey()`); null with it. */
  @Column({ name: 'key_seal', type: 'varchar', length: 64, nullable: true })
  keySeal: string | null;

  /** When the current key was issued: rotation counts `rotationInterval` from it. */
  @Column({ name: 'key_issued_at', type: Date })
  keyIssuedAt: Date;

  /** The session data, serialized as JSON. */
  @Column({ name: 'session_data', type: 'text' })
  data: string;

  /**
   * After this instant the session is dead, whether or not the cleanup has deleted it. With
   * `idleTimeout`, every write moves it to the earlier of `created_at + maxAge` and the
   * write's time + `idleTimeout`, so the one indexed comparison also enforces the idle timeout.
   */
  @Index()
  @Column({ name: 'expire_date', type: Date })
  expireDate: Date;

  /** The signed-in user, or null for an anonymous session. Type set by `userIdType`. */
  @Index()
  @Column({ name: 'user_id', type: 'varchar', length: 255, nullable: true })
  userId: UserId | null;

  /** The client's user agent, at most 200 characters. */
  @Column({ name: 'user_agent', type: 'varchar', length: MAX_USER_AGENT_LENGTH, nullable: true })
  userAgent: string | null;

  /** `Sec-CH-UA-Platform` as the browser last sent it ("Windows", "macOS"…), or null. */
  @Column({ name: 'client_platform', type: 'varchar', length: 32, nullable: true })
  clientPlatform: string | null;

  /** `Sec-CH-UA-Platform-Version` ("15.0.0" is Windows 11), or null. */
  @Column({ name: 'client_platform_version', type: 'varchar', length: 32, nullable: true })
  clientPlatformVersion: string | null;

  /** The client's IPv4 or IPv6 address, or null when unknown or invalid. */
  @Column({ name: 'ip', type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  /** Last request seen, refreshed at most once per `activityInterval`. */
  @Column({ name: 'last_activity', type: Date })
  lastActivity: Date;

  /** When the session was created, or last signed in: `maxAge` counts from it. */
  @Column({ name: 'created_at', type: Date })
  createdAt: Date;
}

/** The shape-defining options that `configureSessionEntity()` applies. */
export interface SessionEntityOptions {
  /** Table name; default `user_sessions`. */
  tableName?: string;
  /** Type of the `user_id` column; default `'string'`. */
  userIdType?: UserIdType;
  /** The app's User entity, for a foreign key with ON DELETE CASCADE. */
  userEntity?: () => Type<unknown>;
  /** The known devices' table; default `user_devices`. */
  devicesTableName?: string;
  /** The security activity's table; default `user_security_activity`. */
  activityTableName?: string;
}

const USER_ID_COLUMN_TYPES: Record<UserIdType, { type: 'varchar' | 'integer' | 'uuid'; length?: number }> = {
  string: { type: 'varchar', length: 255 },
  number: { type: 'integer' },
  uuid: { type: 'uuid' },
};

/** Gives one of the library's other entities its table name and the `user_id` type of `userIdType`. */
function configureUserTable(target: Type<unknown>, tableName: string, userIdType: UserIdType): void {
  const storage = getMetadataArgsStorage();
  const table = storage.tables.find((candidate) => candidate.target === target);
  const userColumn = storage.columns.find((candidate) => candidate.target === target && candidate.propertyName === 'userId');
  if (!table || !userColumn) {
    throw new SessionEntityConfigurationError(`The ${target.name} entity metadata was not found: is typeorm installed twice?`);
  }
  table.name = tableName;
  const columnType = USER_ID_COLUMN_TYPES[userIdType];
  userColumn.options.type = columnType.type;
  userColumn.options.length = columnType.length;
}

let applied:
  | { tableName: string; userIdType: UserIdType; userEntity?: () => Type<unknown>; devicesTableName: string; activityTableName: string }
  | undefined;

/**
 * Gives the `Session` entity (and `UserDevice`, `SecurityActivityRecord`) the table names and
 * user column the app asked for. The module
 * calls it from `forRoot()` / `forRootAsync()`, which run when the app's module is declared,
 * before TypeORM builds its metadata. A TypeORM data-source file used without the module (for
 * the CLI) calls it itself with the same options. Calling it again with the same options is a
 * no-op; with other options it throws, since one class can only have one table shape.
 */
export function configureSessionEntity(options: SessionEntityOptions = {}): void {
  const wanted = {
    tableName: options.tableName ?? DEFAULT_TABLE_NAME,
    userIdType: options.userIdType ?? 'string',
    userEntity: options.userEntity,
    devicesTableName: options.devicesTableName ?? DEFAULT_DEVICES_TABLE_NAME,
    activityTableName: options.activityTableName ?? DEFAULT_ACTIVITY_TABLE_NAME,
  };
  if (applied) {
    const sameEntity =
      applied.userEntity === wanted.userEntity ||
      (applied.userEntity !== undefined &&
        wanted.userEntity !== undefined &&
        applied.userEntity() === wanted.userEntity());
    const sameTables = applied.devicesTableName === wanted.devicesTableName && applied.activityTableName === wanted.activityTableName;
    if (applied.tableName !== wanted.tableName || applied.userIdType !== wanted.userIdType || !sameEntity || !sameTables) {
      const entity = (options: { userEntity?: () => { name: string } }) => (options.userEntity ? `userEntity ${options.userEntity().name}` : 'no userEntity');
      throw new SessionEntityConfigurationError(
        `The Session entity is already configured as table "${applied.tableName}" with userIdType "${applied.userIdType}" and ${entity(applied)}, ` +
          `not as table "${wanted.tableName}" with userIdType "${wanted.userIdType}" and ${entity(wanted)}; ` +
          'register UserSessionsModule once, with one set of tableName / userIdType / userEntity options.',
      );
    }
    return;
  }

  const storage = getMetadataArgsStorage();
  const table = storage.tables.find((candidate) => candidate.target === Session);
  const userColumn = storage.columns.find(
    (candidate) => candidate.target === Session && candidate.propertyName === 'userId',
  );
  if (!table || !userColumn) {
    throw new SessionEntityConfigurationError('The Session entity metadata was not found: is typeorm installed twice?');
  }
  configureUserTable(UserDevice, wanted.devicesTableName, wanted.userIdType);
  configureUserTable(SecurityActivityRecord, wanted.activityTableName, wanted.userIdType);
  table.name = wanted.tableName;
  const columnType = USER_ID_COLUMN_TYPES[wanted.userIdType];
  userColumn.options.type = columnType.type;
  userColumn.options.length = columnType.length;

  if (wanted.userEntity) {
    const userEntity = wanted.userEntity;
    // Shares the user_id column with `userId`, so the store keeps writing plain ids.
    ManyToOne(() => userEntity(), { onDelete: 'CASCADE', nullable: true, createForeignKeyConstraints: true })(
      Session.prototype,
      'user',
    );
    JoinColumn({ name: 'user_id' })(Session.prototype, 'user');
  }
  applied = wanted;
}
