import type { SessionRecord, SessionStorage } from '../../lib/index.js';

/** A `SessionStorage` in a Map, for apps that keep sessions outside TypeORM: finds, inserts and deletes by id. */
export function memorySessionStorage(): SessionStorage {
  const rows = new Map<string, SessionRecord>();
  return {
    find: async (id) => rows.get(id) ?? null,
    insert: async (record) => void rows.set(record.id, record),
    update: async () => false,
    delete: async (id) => rows.delete(id),
    listActive: async () => [],
    deleteOthers: async () => 0,
    deleteAllForUser: async () => 0,
    list: async () => [],
    deleteExpired: async () => 0,
  };
}
