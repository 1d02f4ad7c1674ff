import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  HttpStatus,
  Inject,
  Logger,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import type { UserId } from '../session/user-id.js';
import { SessionStoreService } from '../store/session-store.service.js';
import type { ActiveSession } from '../store/session-store.types.js';
import { SessionDetailsService } from '../details/session-details.service.js';
import { requestedLocale } from '../details/locale.js';
import { appendHeader } from '../http/cookies.js';
import { UserSessionsAdminGuard } from './user-sessions-admin.guard.js';
import { CurrentSession } from '../user-sessions.decorators.js';
import type { UserSession } from '../session/user-session.js';
import { describeUserIdType, parseUserId } from '../session/user-id.js';
import { AdminSessionsQuery, unknownAdminQueryParameters } from './dto/admin-sessions.query.js';
import { SessionIdParams } from './dto/session-id.params.js';
import { LOCALIZED_RESPONSE_HEADERS } from './dto/session.view.js';
import { UserIdParams } from './dto/user-id.params.js';
import { AdminSessionsPage, EndUserSessionsResult, type AdminSessionView } from './dto/admin-session.view.js';
import { NO_STORE } from './cache-control.js';
import { ApiErrorResponse, CROSS_ORIGIN_REFUSED, STORE_UNAVAILABLE } from './dto/sessions-api-error.view.js';
import { ApiExcludeController, ApiOperation, ApiResponse, ApiTags } from './openapi.js';
import { strictPipe } from './strict-pipe.js';

/** What everyone but administrators gets (see `UserSessionsAdminGuard`). */
const NOT_ADMIN = 'Not signed in as an administrator: the same 404 as a path with no route.';

/**
 * The admin API: every user's sessions, listed with filters, ended one at a time or all of
 * one user. Registered only when `adminPath` is set, under that path (set by the module);
 * `UserSessionsAdminGuard` answers 404 to everyone whom `isAdmin` does not accept.
 */
@Controller()
@UseGuards(UserSessionsAdminGuard)
// Left out of the app's OpenAPI document unless the app opts in: a published admin path would
// tell everyone what the guard's 404 hides.
@ApiExcludeController()
@ApiTags('sessions admin')
@ApiErrorResponse(503, STORE_UNAVAILABLE)
export class UserSessionsAdminController {
  private readonly logger = new Logger('UserSessions');

  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly store: SessionStoreService,
    private readonly details: SessionDetailsService,
  ) {}

  /**
   * A page of sessions, most recent activity first; `nextCursor` fetches the next. Device and
   * place names in the language `Accept-Language` asks for (`Content-Language` says which).
   */
  @Get()
  @Header('Cache-Control', NO_STORE)
  @Header('Vary', 'Accept-Language')
  @ApiOperation({
    summary: "List every user's sessions",
    description: 'A page of sessions, most recent activity first, filtered; `nextCursor` fetches the next page. `device`, '
      + '`browser`, `platform` and `location` are in the language `Accept-Language` asks for, named in `Content-Language`; '
      + "English for a language not supported. Without the header, device words are English and places in the `geoip.locale` "
      + "option's language.",
  })
  @ApiResponse({ status: 200, type: AdminSessionsPage, description: 'A page of sessions.', headers: LOCALIZED_RESPONSE_HEADERS })
  @ApiErrorResponse(400, 'A query parameter is invalid or unknown (each one is listed).')
  @ApiErrorResponse(404, NOT_ADMIN)
  async list(
    @Query(strictPipe()) query: AdminSessionsQuery,
    @Req() request: { query?: unknown },
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<AdminSessionsPage> {
    const unknown = unknownAdminQueryParameters(request.query);
    if (unknown.length > 0) throw new BadRequestException(unknown.map((name) => `property ${name} should not exist`));
    const locale = requestedLocale(acceptLanguage);
    const page = await this.store.list({
      status: query.status,
      userId: query.userId === undefined ? undefined : this.userId(query.userId),
      ipPrefix: query.ipPrefix,
      limit: query.limit,
      cursor: query.cursor,
    });
    const now = new Date();
    if (locale !== undefined) appendHeader(response, 'Content-Language', locale);
    return { sessions: page.sessions.map((session) => this.view(session, now, locale)), nextCursor: page.nextCursor };
  }

  /** Ends every session of a user, expired or not. */
  @Delete('users/:userId')
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: 'End every session of a user', description: 'Expired ones included. Ending your own signs you out.' })
  @ApiResponse({ status: 200, type: EndUserSessionsResult, description: 'How many sessions ended.' })
  @ApiErrorResponse(400, 'userId does not fit the `userIdType` option.')
  @ApiErrorResponse(403, CROSS_ORIGIN_REFUSED)
  @ApiErrorResponse(404, NOT_ADMIN)
  async endAllOfUser(
    @Param(strictPipe()) params: UserIdParams,
    @CurrentSession() current: UserSession,
  ): Promise<EndUserSessionsResult> {
    const userId = this.userId(params.userId);
    const administrator = current.userId;
    const ended = await this.store.deleteAllForUser(userId, { endedBy: 'admin', actor: current });
    // The administrator's own sessions among them: this request signs out too (cookie cleared).
    if (administrator === userId) await this.store.logout(current);
    this.logger.log(`Administrator ${administrator} ended all ${ended} session(s) of user ${userId}`);
    return { ended };
  }

  /** Ends any session; 404 for an id that is not there (never was, or already ended). */
  @Delete(':id')
  @Header('Cache-Control', NO_STORE)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End any session', description: 'Ending your own session signs you out.' })
  @ApiResponse({ status: 204, description: 'Ended.' })
  @ApiErrorResponse(400, 'The id is not a session id (64 lower-case hex digits).')
  @ApiErrorResponse(403, CROSS_ORIGIN_REFUSED)
  @ApiErrorResponse(404, `No such session (never was, or already ended); or ${NOT_ADMIN.toLowerCase()}`)
  async end(
    @Param(strictPipe()) params: SessionIdParams,
    @CurrentSession() current: UserSession,
  ): Promise<void> {
    const administrator = current.userId;
    if (params.id === current.id) {
      // The administrator's own session: sign out, which also clears the cookie.
      await this.store.logout(current);
    } else if (!(await this.store.delete(params.id, { endedBy: 'admin', actor: current }))) {
      throw new NotFoundException('No such session.');
    }
    this.logger.log(`Administrator ${administrator} ended session ${params.id.slice(0, 8)}…`);
  }

  private userId(value: string): UserId {
    const userId = parseUserId(value, this.options.userIdType);
    if (userId === null) {
      throw new BadRequestException([`userId must be ${describeUserIdType(this.options.userIdType)} (userIdType '${this.options.userIdType}')`]);
    }
    return userId;
  }

  private view(session: ActiveSession, now: Date, locale: string | undefined): AdminSessionView {
    return {
      id: session.id,
      userId: session.userId,
      ip: session.ip,
      userAgent: session.userAgent,
      ...this.details.describe(session, locale),
      lastActivity: session.lastActivity.toISOString(),
      createdAt: session.createdAt.toISOString(),
      expireDate: session.expireDate.toISOString(),
      valid: this.store.isActive(session, now),
    };
  }
}
