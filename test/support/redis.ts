import { Redis } from 'ioredis';
import { SERVICES } from './services.js';

const clients: Redis[] = [];

/**
 * A client as an app would make one (reconnecting every 100 ms, one retry per command);
 * connection errors are not printed (the module warns). `port` may be a proxy's.
 */
export async function connectRedis(port: number = SERVICES.redis.port, wait = true, connectionName?: string): Promise<Redis> {
  const client = new Redis({ host: SERVICES.redis.host, port, retryStrategy: () => 100, maxRetriesPerRequest: 1, connectionName });
  client.on('error', () => undefined);
  clients.push(client);
  if (wait) await until(() => client.status === 'ready', 5_000, 'the Redis client to connect');
  return client;
}

/** Deletes the keys under `prefix`, and disconnects every client `connectRedis()` made. */
export async function cleanUpRedis(prefix: string): Promise<void> {
  const admin = await connectRedis();
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  for (const client of clients.splice(0)) client.disconnect();
}

/** Resolves once `condition` holds; checked every 25 ms, for `timeoutMs` at most. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
