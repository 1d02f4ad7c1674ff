import type { DataSource } from 'typeorm';
import type { SessionRecord, UserId } from '../../lib/index.js';

/**
 * The statements synchronize would run to make the database match the entities: none when
 * the migrations made exactly the schema the entities describe.
 */
export async function schemaDiff(dataSource: DataSource): Promise<string[]> {
  const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
  return upQueries.map((query) => query.query);
}

/** A session row that expires in an hour; `id` is its key digest and public id alike. */
export function sessionRecord(id: string, userId: UserId | null): SessionRecord {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  return {
    keyDigest: id,
    id,
    previousKeyDigest: null,
    keySeal: null,
    keyIssuedAt: now,
    data: '{"a":1}',
    expireDate: new Date(now.getTime() + 3_600_000),
    userId,
    userAgent: 'Python/3.12',
    clientPlatform: null,
    clientPlatformVersion: null,
    ip: '127.0.0.1',
    lastActivity: now,
    createdAt: now,
  };
}
