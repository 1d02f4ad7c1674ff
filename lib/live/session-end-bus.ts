import { randomUUID } from 'node:crypto';
import type { SessionsEnded } from '../events/user-sessions-events.publisher.js';

/**
 * What tells the other app instances which sessions ended, so that each closes their live
 * connections: Redis pub/sub, PostgreSQL's LISTEN/NOTIFY, or nothing (one instance).
 */
export abstract class SessionEndBus {
  /** Which transport: said in the start-up log and the docs. */
  abstract readonly transport: 'redis' | 'postgres' | 'in-process';

  /** Tells the other instances; never throws (a failure is logged). */
  abstract publish(ended: SessionsEnded): void;

  /**
   * Starts hearing the other instances' ends: called at this instance's first live
   * connection, and settled once it hears, so that no end published after it is missed.
   */
  abstract listen(onEnded: (ended: SessionsEnded) => void): Promise<void>;

  abstract close(): Promise<void>;
}

/** One instance: its own ends reach its connections directly, and there is no one else to tell. */
export class InProcessSessionEndBus extends SessionEndBus {
  readonly transport = 'in-process';
  publish(): void {}
  async listen(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A message on the wire: the ended sessions, and the instance they ended on (which skips its own). */
interface EndMessage {
  from: string;
  ended: SessionsEnded;
}

/** Writes and reads the bus's messages; what is not one is ignored. */
export class EndMessages {
  private readonly instance = randomUUID();

  encode(ended: SessionsEnded): string {
    return JSON.stringify({ from: this.instance, ended } satisfies EndMessage);
  }

  /** The ended sessions of another instance's message, or null (this instance's own, or junk). */
  decode(text: string): SessionsEnded | null {
    let message: Partial<EndMessage>;
    try {
      message = JSON.parse(text) as Partial<EndMessage>;
    } catch {
      return null;
    }
    if (message === null || typeof message !== 'object' || message.from === this.instance) return null;
    const ended = message.ended as Record<string, unknown> | undefined;
    if (!ended || typeof ended !== 'object') return null;
    if (typeof ended.sessionId === 'string') return ended as SessionsEnded;
    const userId = ended.userId;
    if ((typeof userId === 'string' || typeof userId === 'number') && (typeof ended.exceptSessionId === 'string' || ended.exceptSessionId === null)) {
      return ended as SessionsEnded;
    }
    return null;
  }
}
