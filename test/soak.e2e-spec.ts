import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, databaseMatrix } from './support/databases.js';
import { checkSessionTable, runSoak, summarize } from './support/soak.js';
import { startTestApp } from './support/test-app.js';

/**
 * 50 signed-in clients for 60 s (`USER_SESSIONS_SOAK_SECONDS`) on SQLite and on PostgreSQL:
 * reads, appends to session data racing activity updates of the same session, listing,
 * revoking, signing out and in again (see `support/soak.ts`). Afterwards: no 5xx, every answer
 * right, every client's appends all stored in order, and the table holds exactly the sessions
 * the clients hold: created − ended rows, no id twice, no orphan.
 *
 * `activityInterval: 0` makes every read of a stored session write its activity, so that each
 * append races an UPDATE of the same row. SQLite runs with `enableWAL: true`, as docs/reliability.md
 * recommends for apps that write.
 */
const SECONDS = Number(process.env.USER_SESSIONS_SOAK_SECONDS ?? 60);
if (!(SECONDS > 0)) throw new Error(`USER_SESSIONS_SOAK_SECONDS must be a number of seconds, got "${process.env.USER_SESSIONS_SOAK_SECONDS}"`);
const CLIENTS = 50;

describe.sequential('soak', () => {
  for (const { kind, label, skip } of databaseMatrix().filter((entry) => entry.kind !== 'mariadb')) {
    const title = `${CLIENTS} signed-in clients for ${SECONDS} s on ${label}${kind === 'sqlite' ? ' (WAL)' : ''}`;
    it.skipIf(skip !== null)(skip === null ? title : `${title} (skipped: ${skip})`, async () => {
      const database = await createTestDatabase(kind);
      const options = kind === 'sqlite' ? { ...database.options, enableWAL: true } : database.options;
      const app = await startTestApp({ ...database, options }, { activityInterval: 0 });
      try {
        const result = await runSoak({ url: app.url, clients: CLIENTS, durationMs: SECONDS * 1000 });
        const table = await checkSessionTable(app.app.get(DataSource), result);
        console.log(summarize(`soak on ${label}`, result, table));

        expect(result.errors).toEqual([]);
        const failed = result.records.filter((record) => typeof record.status !== 'number' || record.status >= 500);
        expect(failed).toEqual([]);
        expect(table.errors).toEqual([]);
        expect(table.unknownRows).toBe(0);
        expect(table.rows).toBe(table.expectedRows);
        // It was a load, and every kind of step happened.
        const ops = new Set(result.records.map((record) => record.op));
        for (const op of ['append', 'read (racing an append)', 'slow read (racing an append)', 'list (racing an append)', 'revoke one', 'revoke others', 'logout', 're-login', 'revoked session refused']) {
          expect(ops).toContain(op);
        }
        expect(result.records.length).toBeGreaterThan(CLIENTS * SECONDS);
        expect(table.sequencesChecked).toBe(CLIENTS);
      } finally {
        await app.close();
        await database.drop();
      }
    }, (SECONDS + 120) * 1000);
  }
});
