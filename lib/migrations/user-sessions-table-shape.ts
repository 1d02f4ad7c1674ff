import type { UserIdType } from '../options/user-sessions-module-options.interface.js';

/** `createUserSessionsMigrations()` options with their defaults, as each migration reads them. */
export interface UserSessionsTableShape {
  tableName: string;
  userIdType: UserIdType;
  userForeignKey?: UserSessionsForeignKeyShape;
}

export interface UserSessionsForeignKeyShape {
  table: string;
  column: string;
  timestamp: number;
}
