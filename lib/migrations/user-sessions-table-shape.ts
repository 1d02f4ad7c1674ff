import type { UserIdType } from '../session/user-id.js';

/** `createUserSessionsMigrations()` options with their defaults, as each migration reads them. */
export interface UserSessionsTableShape {
  tableName: string;
  userIdType: UserIdType;
  devicesTableName: string;
  activityTableName: string;
  userForeignKey?: UserSessionsForeignKeyShape;
}

export interface UserSessionsForeignKeyShape {
  table: string;
  column: string;
  timestamp: number;
}
