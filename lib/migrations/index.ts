export * from './user-sessions.migrations.js';
export { userSessionsMigrationsFor } from './module-migrations.js';
