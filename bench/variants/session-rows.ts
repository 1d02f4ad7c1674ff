/** The module's session rows written straight into its table, keys made as the library makes them. */
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Session } from '../../lib/index.js';
import { BENCH_IP, BENCH_USER_AGENT } from '../protocol.js';
import { INSERT_BATCH } from './common.js';

/**
 * Inserts `count` signed-in sessions (`userIdOf(index)`), in one transaction; returns each
 * one's key (the cookie value) and public id.
 */
export async function insertSessionRows(
  dataSource: DataSource,
  count: number,
  userIdOf: (index: number) => string,
): Promise<{ keys: string[]; ids: string[] }> {
  const now = new Date();
  const keys = Array.from({ length: count }, () => randomBytes(32).toString('base64url'));
  const rows = keys.map((key, index) => {
    const digest = createHash('sha256').update(key).digest('hex');
    return {
      keyDigest: digest,
      id: digest,
      previousKeyDigest: null,
      keySeal: null,
      keyIssuedAt: now,
      data: '{}',
      expireDate: new Date(now.getTime() + 14 * 86_400_000),
      userId: userIdOf(index),
      userAgent: BENCH_USER_AGENT,
      clientPlatform: null,
      clientPlatformVersion: null,
      ip: BENCH_IP,
      lastActivity: now,
      createdAt: now,
    };
  });
  await dataSource.transaction(async (manager) => {
    for (let start = 0; start < rows.length; start += INSERT_BATCH) {
      await manager.getRepository(Session).insert(rows.slice(start, start + INSERT_BATCH));
    }
  });
  return { keys, ids: rows.map((row) => row.id) };
}
