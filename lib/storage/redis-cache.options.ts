/**
 * The part of an ioredis client (`Redis`, 5 or later) the cache uses; the app creates and owns
 * the client (connects, closes it), the module never imports ioredis.
 */
export interface SessionCacheRedis {
  /** ioredis's connection state: the cache sends commands only when it is `'ready'` (or `'wait'`). */
  readonly status: string;
  evalsha(sha: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  on(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/** The Redis read cache of session lookups (`cache`). */
export interface SessionCacheOptions {
  /** The app's ioredis client, e.g. `new Redis(process.env.REDIS_URL)`. */
  redis: SessionCacheRedis;
  /**
   * How long, in milliseconds, a session stays cached at most; never past its expiry. Writes
   * delete entries anyway: this only bounds what a write that bypasses the cache (another
   * program, an instance without the cache) leaves stale.
   * @default 60_000
   */
  ttl?: number;
  /**
   * What every key the cache writes starts with.
   * @default 'user-sessions:'
   */
  keyPrefix?: string;
  /**
   * How long, in milliseconds, one Redis command may take before the lookup goes to the
   * database instead.
   * @default 200
   */
  timeout?: number;
}

/** What the cache calls on its Redis client (ioredis's `Redis` has them all): checked at start-up. */
export const SESSION_CACHE_REDIS_METHODS = Object.keys({
  evalsha: true,
  eval: true,
  del: true,
  on: true,
  off: true,
} satisfies Record<Exclude<keyof SessionCacheRedis, 'status'>, true>);
