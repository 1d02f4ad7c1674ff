export * from './user-sessions-test-client.js';
