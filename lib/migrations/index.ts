export * from './user-sessions.migrations.js';
