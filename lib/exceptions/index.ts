export * from './invalid-user-sessions-options.error.js';
export * from './session-entity-configuration.error.js';
export * from './session-store-unavailable.exception.js';
export * from './user-sessions-migration.error.js';
export * from './express-session-import.error.js';
export * from './reauthentication-required.exception.js';
export * from './session-table-mismatch.error.js';
export * from './missing-data-source.error.js';
