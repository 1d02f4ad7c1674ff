import { BadRequestException, Controller, Get, Header, Headers, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import { USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { SecurityActivityService } from '../activity/security-activity.service.js';
import { requestedLocale } from '../details/locale.js';
import { appendHeader } from '../http/cookies.js';
import { describeUserIdType, parseUserId } from '../session/user-id.js';
import { UserSessionsAdminGuard } from './user-sessions-admin.guard.js';
import { ActivityQuery } from './dto/activity.query.js';
import { ActivityPage } from './dto/activity.view.js';
import { UserIdParams } from './dto/user-id.params.js';
import { ActivityViews } from './activity-views.js';
import { NO_STORE } from './cache-control.js';
import { ApiErrorResponse, STORE_UNAVAILABLE } from './dto/sessions-api-error.view.js';
import { ApiExcludeController, ApiOperation, ApiResponse, ApiTags } from './openapi.js';
import { strictPipe } from './strict-pipe.js';

/** The admin API's view of one user's security activity history (with `adminPath`). */
@Controller()
@UseGuards(UserSessionsAdminGuard)
@ApiExcludeController()
@ApiTags('sessions admin')
@ApiErrorResponse(503, STORE_UNAVAILABLE)
export class UserActivityAdminController {
  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly activity: SecurityActivityService,
    private readonly views: ActivityViews,
  ) {}

  @Get('users/:userId/activity')
  @Header('Cache-Control', NO_STORE)
  @Header('Vary', 'Accept-Language')
  @ApiOperation({ summary: "A user's security activity", description: 'Newest first, a page at a time, within the history\'s window.' })
  @ApiResponse({ status: 200, type: ActivityPage })
  @ApiErrorResponse(400, 'A bad user id, `limit` or `cursor`.')
  @ApiErrorResponse(404, 'Not signed in as an administrator: the same 404 as a path with no route.')
  async list(
    @Param(strictPipe()) params: UserIdParams,
    @Query(strictPipe()) query: ActivityQuery,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<ActivityPage> {
    const userId = parseUserId(params.userId, this.options.userIdType);
    if (userId === null) {
      throw new BadRequestException([`userId must be ${describeUserIdType(this.options.userIdType)} (userIdType '${this.options.userIdType}')`]);
    }
    const locale = requestedLocale(acceptLanguage);
    if (locale !== undefined) appendHeader(response, 'Content-Language', locale);
    const page = await this.activity.list(userId, { limit: query.limit, cursor: query.cursor });
    return { entries: page.entries.map((entry) => this.views.entry(entry, null, locale)), nextCursor: page.nextCursor };
  }
}
