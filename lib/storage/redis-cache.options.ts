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

/** The key of the cache entries' HMAC: a string or Buffer, or several, newest first. */
export type SessionCacheSecret = string | Buffer | readonly (string | Buffer)[];

/** The Redis read cache of session lookups (`cache`). */
export interface SessionCacheOptions {
  /** The app's ioredis client, e.g. `new Redis(process.env.REDIS_URL)`. */
  redis: SessionCacheRedis;
  /**
   * The key every cache entry is signed with (HMAC-SHA256), so that whoever can write to Redis
   * cannot make up or move a session: an entry that does not verify is ignored and the
   * database is read. Random, at least 32 characters (or a Buffer of 32 bytes), the same on
   * every instance, kept like a password. To rotate it, give an array, newest first: entries
   * are signed with the first and accepted with any.
   * @example secret: process.env.SESSION_CACHE_SECRET! // openssl rand -base64 32
   */
  secret: SessionCacheSecret;
  /**
   * How long, in milliseconds, a session stays cached at most; never past its expiry; at most
   * 300_000 (5 minutes). Writes clear entries anyway: this bounds what is left stale by a write
   * that bypasses the cache (another program, an instance without the cache), and how long an
   * entry put back in Redis by someone who can write to it is believed.
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
   * database instead (or a revocation, which must reach Redis first, answers 503).
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
