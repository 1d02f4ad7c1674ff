import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { SessionStoreService } from './session-store.service.js';

/**
 * Deletes expired sessions every `cleanupInterval` milliseconds when that option is on. The
 * timer is unref'd, so it never keeps a process alive; a run still going when the next is
 * due is not doubled; shutdown stops the timer and the run in progress after its current
 * batch, and waits for that batch.
 */
@Injectable()
export class UserSessionsCleanupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UserSessions');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number | null> | null = null;
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly store: SessionStoreService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.cleanupInterval <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.cleanupInterval);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.shutdown.abort();
    await this.running;
  }

  /**
   * One cleanup, unless one is running already (then that one's result). Resolves to the
   * number of rows deleted, or null when the database failed; it never rejects, so a timer
   * tick cannot become an unhandled rejection.
   */
  runOnce(): Promise<number | null> {
    if (this.shutdown.signal.aborted) return Promise.resolve(0);
    this.running ??= this.store
      .clearExpired({ signal: this.shutdown.signal })
      .then(
        (deleted) => {
          if (deleted > 0) this.logger.log(`Deleted ${deleted} expired sessions.`);
          return deleted;
        },
        (error: unknown) => {
          this.logger.warn(`The expired-session cleanup failed, it will run again in ${this.options.cleanupInterval} ms: ${(error as Error)?.message ?? error}`);
          return null;
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}
