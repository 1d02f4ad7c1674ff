import {
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  SetMetadata,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { DEFAULT_PATH, RECENT_LOGIN_METADATA } from './user-sessions.constants.js';
import { SessionStoreService } from './session-store.service.js';
import { SessionDetailsService } from './session-details.service.js';
import { UserSessionsGuard } from './user-sessions.guard.js';
import { UserSessionsReauthGuard, type RecentLoginRequirement } from './user-sessions-reauth.guard.js';
import { CurrentSession } from './user-sessions.decorators.js';
import type { UserSession } from './user-session.js';
import { SessionIdParams } from './dto/session-id.params.js';
import type { EndOtherSessionsResult, SessionView } from './dto/session.view.js';
import type { RequireRecentLoginOptions } from './user-sessions-module-options.interface.js';

/**
 * The `requireRecentLogin` option that holds a route's time limit ("sudo mode"): read by the
 * guard on each request, since `forRootAsync()` options exist only after the routes do. A
 * route whose option is unset passes.
 */
const RecentLoginOption = (option: keyof RequireRecentLoginOptions) =>
  SetMetadata(RECENT_LOGIN_METADATA, { option } satisfies RecentLoginRequirement);

/**
 * "Your sessions": list, end one, end all others. Every route needs a signed-in session and
 * acts only on that user's sessions. The path is the `path` option (set by the module).
 */
@Controller(DEFAULT_PATH)
@UseGuards(UserSessionsGuard, UserSessionsReauthGuard)
export class UserSessionsController {
  constructor(
    private readonly store: SessionStoreService,
    private readonly details: SessionDetailsService,
  ) {}

  /** The caller's unexpired sessions, most recent activity first. */
  @Get()
  async list(@CurrentSession() session: UserSession): Promise<SessionView[]> {
    const sessions = await this.store.listActive(session.userId!);
    return sessions.map((active) => ({
      id: active.id,
      ip: active.ip,
      userAgent: active.userAgent,
      ...this.details.describe(active),
      lastActivity: active.lastActivity.toISOString(),
      expireDate: active.expireDate.toISOString(),
      current: active.id === session.id,
    }));
  }

  /**
   * Ends one of the caller's sessions; ending the current one signs out. Another user's id
   * and an unknown id get the same 404, so ids cannot be probed.
   */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RecentLoginOption('endSession')
  async end(
    @Param(new ValidationPipe({ forbidUnknownValues: true })) params: SessionIdParams,
    @CurrentSession() session: UserSession,
  ): Promise<void> {
    if (params.id === session.id) {
      await this.store.logout(session);
      return;
    }
    if (!(await this.store.deleteForUser(session.userId!, params.id, { actor: session }))) {
      throw new NotFoundException('No such session.');
    }
  }

  /** Ends every session of the caller but the current one. */
  @Delete()
  @RecentLoginOption('endOtherSessions')
  async endOthers(@CurrentSession() session: UserSession): Promise<EndOtherSessionsResult> {
    return { deleted: await this.store.deleteOthers(session.userId!, session) };
  }
}
