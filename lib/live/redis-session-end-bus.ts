import type { Logger } from '@nestjs/common';
import type { SessionsEnded } from '../events/user-sessions-events.publisher.js';
import type { LiveSessionsRedis, LiveSessionsRedisSubscriber } from '../options/live-sessions.options.js';
import { EndMessages, SessionEndBus } from './session-end-bus.js';

/**
 * Ends travel over Redis pub/sub on `channel`: PUBLISH on the app's client, SUBSCRIBE on a
 * duplicate of it (ioredis subscribes again by itself after a reconnection).
 */
export class RedisSessionEndBus extends SessionEndBus {
  readonly transport = 'redis';
  private readonly messages = new EndMessages();
  private subscriber: LiveSessionsRedisSubscriber | null = null;
  private listening: Promise<void> | null = null;

  constructor(
    private readonly redis: LiveSessionsRedis,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    super();
  }

  publish(ended: SessionsEnded): void {
    this.redis.publish(this.channel, this.messages.encode(ended)).catch((error: unknown) => {
      this.logger.error(`Could not tell the other instances that sessions ended (Redis): ${(error as Error)?.message ?? error}`);
    });
  }

  listen(onEnded: (ended: SessionsEnded) => void): Promise<void> {
    this.listening ??= this.subscribe(onEnded).catch((error: unknown) => {
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    this.listening = null;
    await subscriber?.quit().catch(() => undefined);
  }

  private async subscribe(onEnded: (ended: SessionsEnded) => void): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    // ioredis reports connection errors as events, and reconnects by itself.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel, text) => {
      if (channel !== this.channel) return;
      const ended = this.messages.decode(text);
      if (ended) onEnded(ended);
    });
    try {
      await subscriber.subscribe(this.channel);
    } catch (error) {
      // The next connection tries again with a new one.
      if (this.subscriber === subscriber) this.subscriber = null;
      subscriber.disconnect();
      throw error;
    }
  }
}
