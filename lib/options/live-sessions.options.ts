/** The part of an ioredis client (5 or later) that tells other instances of an ended session. */
export interface LiveSessionsRedis {
  publish(channel: string, message: string): Promise<unknown>;
  /** A second connection for listening: a subscribed ioredis connection sends no other command. */
  duplicate(): LiveSessionsRedisSubscriber;
}

/** The listening connection `duplicate()` gives. */
export interface LiveSessionsRedisSubscriber {
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** How ended sessions reach the live connections of every app instance (`liveSessions`). */
export interface LiveSessionsOptions {
  /**
   * The Redis client that tells every instance which sessions ended (pub/sub). Unset: the
   * `cache` option's client when there is one; else PostgreSQL's LISTEN/NOTIFY when the
   * sessions are on PostgreSQL; else the ends reach this instance's connections only.
   * @example redis: new Redis(process.env.REDIS_URL)
   */
  redis?: LiveSessionsRedis;
  /**
   * The Redis channel or PostgreSQL notification channel the ends travel on; apps that share a
   * Redis or a database give each its own.
   * @default `${tableName}:ended`
   */
  channel?: string;
}
