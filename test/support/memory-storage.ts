import type { SessionRecord, SessionStorage } from '../../lib/index.js';

/** A `SessionStorage` in a Map, for apps that keep sessions outside TypeORM: finds, inserts and deletes by key digest. */
export function memorySessionStorage(): SessionStorage {
  const rows = new Map<string, SessionRecord>();
  return {
    find: async (keyDigest) => rows.get(keyDigest) ?? null,
    findByPreviousKey: async () => null,
    findById: async (id) => [...rows.values()].find((row) => row.id === id) ?? null,
    insert: async (record) => void rows.set(record.keyDigest, record),
    update: async () => false,
    delete: async ({ id }) => [...rows.values()].some((row) => row.id === id && rows.delete(row.keyDigest)),
    listActive: async () => [],
    deleteOthers: async () => 0,
    deleteAllForUser: async () => 0,
    list: async () => [],
    deleteExpired: async () => 0,
  };
}
