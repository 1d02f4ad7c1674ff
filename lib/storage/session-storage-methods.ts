import type { SessionStorage } from './session-storage.interface.js';

/** The methods of `SessionStorage`, to check an app's own storage at start-up. */
export const SESSION_STORAGE_METHODS = Object.keys({
  find: true,
  findByPreviousKey: true,
  findById: true,
  insert: true,
  update: true,
  delete: true,
  listActive: true,
  deleteOthers: true,
  deleteAllForUser: true,
  list: true,
  deleteExpired: true,
} satisfies Record<keyof SessionStorage, true>);
