import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { SessionsEnded } from '../events/user-sessions-events.publisher.js';
import { EndMessages, SessionEndBus } from './session-end-bus.js';

/** A pg client as TypeORM's PostgreSQL driver lends it. */
interface PgClient {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

interface PostgresDriverLike {
  obtainMasterConnection(): Promise<[PgClient, (error?: unknown) => void]>;
}

/** How long a lost listening connection waits before it is opened again. */
const RECONNECT_DELAY = 1000;

/**
 * Ends travel as PostgreSQL notifications on `channel`: `pg_notify()` through the app's pool,
 * and LISTEN on one connection taken from that pool for as long as the app runs (opened again
 * a second after it is lost).
 */
export class PostgresSessionEndBus extends SessionEndBus {
  readonly transport = 'postgres';
  private readonly messages = new EndMessages();
  private listening: Promise<void> | null = null;
  private connection: { client: PgClient; release: (error?: unknown) => void } | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    super();
  }

  publish(ended: SessionsEnded): void {
    this.dataSource.query('SELECT pg_notify($1, $2)', [this.channel, this.messages.encode(ended)]).catch((error: unknown) => {
      this.logger.error(`Could not tell the other instances that sessions ended (PostgreSQL NOTIFY): ${(error as Error)?.message ?? error}`);
    });
  }

  listen(onEnded: (ended: SessionsEnded) => void): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.listening ??= this.connect(onEnded).catch((error: unknown) => {
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.listening = null;
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    await connection.client.query('UNLISTEN *').catch(() => undefined);
    connection.release();
  }

  private async connect(onEnded: (ended: SessionsEnded) => void): Promise<void> {
    const [client, release] = await (this.dataSource.driver as unknown as PostgresDriverLike).obtainMasterConnection();
    client.on('notification', ({ channel, payload }) => {
      if (channel !== this.channel || payload === undefined) return;
      const ended = this.messages.decode(payload);
      if (ended) onEnded(ended);
    });
    client.on('error', (error) => this.lost(client, error, onEnded));
    try {
      await client.query(`LISTEN "${this.channel.replaceAll('"', '""')}"`);
    } catch (error) {
      release(error);
      throw error;
    }
    // Closed while it was being opened: given back at once, or the pool could never end.
    if (this.closed) {
      await client.query('UNLISTEN *').catch(() => undefined);
      release();
      return;
    }
    this.connection = { client, release };
  }

  private lost(client: PgClient, error: Error, onEnded: (ended: SessionsEnded) => void): void {
    if (this.connection?.client !== client) return;
    this.connection.release(error);
    this.connection = null;
    if (this.closed) return;
    this.logger.warn(`The connection that hears ended sessions from other instances was lost (${error.message}); opening it again`);
    const reconnect = (): void => {
      this.retry = setTimeout(() => {
        this.retry = null;
        if (!this.closed) this.connect(onEnded).catch(reconnect);
      }, RECONNECT_DELAY).unref();
    };
    reconnect();
  }
}
