import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseMatrix, type TestDatabase } from './support/databases.js';
import { SERVICES } from './support/services.js';
import { checkSessionTable, percentile, runSoak, summarize } from './support/soak.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * A slow database: every chunk of bytes between the app and the server, either way, arrives
 * 50–200 ms late (a proxy), so each statement takes a few hundred milliseconds. 20 signed-in
 * clients for 12 s (see `support/soak.ts`): requests get slower, never wrong: every answer
 * right, no 5xx, appends all kept, revoked sessions refused, the table exactly what the
 * clients hold. SQLite runs in the process and cannot be slowed this way.
 */
const CLIENTS = 20;
const SECONDS = 12;

for (const { kind, label, skip } of databaseMatrix().filter((entry) => entry.kind !== 'sqlite')) {
  describe.skipIf(skip !== null)(skip === null ? `slow ${label}` : `slow ${label} (skipped: ${skip})`, () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let t: TestApp;
    beforeAll(async () => {
      database = await createTestDatabase(kind);
      proxy = await TcpProxy.start(SERVICES[kind as keyof typeof SERVICES]);
      t = await startTestApp({ ...database, options: { ...database.options, host: '127.0.0.1', port: proxy.port } }, { activityInterval: 0 });
      proxy.delay(50, 200);
    });
    afterAll(async () => {
      await t?.close();
      await proxy?.close();
      await database?.drop();
    });

    it(`${CLIENTS} clients for ${SECONDS} s, each statement delayed: slower answers, all of them right`, async () => {
      const result = await runSoak({ url: t.url, clients: CLIENTS, durationMs: SECONDS * 1000, openWithRareSteps: true });
      proxy.delay(0);
      const table = await checkSessionTable(t.app.get(DataSource), result);
      console.log(summarize(`slow ${label} (50–200 ms per chunk)`, result, table));

      expect(result.errors).toEqual([]);
      expect(result.records.filter((record) => typeof record.status !== 'number' || record.status >= 500)).toEqual([]);
      expect(table.errors).toEqual([]);
      expect(table.unknownRows).toBe(0);
      expect(table.rows).toBe(table.expectedRows);
      // It was slow: a request costs at least one statement, one round trip through the delays.
      expect(percentile(result.records, 50)).toBeGreaterThanOrEqual(100);
      const ops = new Set(result.records.map((record) => record.op));
      for (const op of ['append', 'revoke one', 'logout', 're-login', 'revoked session refused']) expect(ops).toContain(op);
    }, (SECONDS + 60) * 1000);
  });
}
