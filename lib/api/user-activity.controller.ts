import { Controller, Get, Header, Headers, Query, Res, UseGuards } from '@nestjs/common';
import { SecurityActivityService } from '../activity/security-activity.service.js';
import { requestedLocale } from '../details/locale.js';
import { appendHeader } from '../http/cookies.js';
import { UserSessionsGuard } from '../user-sessions.guard.js';
import { CurrentSession } from '../user-sessions.decorators.js';
import type { UserSession } from '../session/user-session.js';
import { ActivityQuery } from './dto/activity.query.js';
import { ActivityPage } from './dto/activity.view.js';
import { ActivityViews } from './activity-views.js';
import { NO_STORE } from './cache-control.js';
import { ApiErrorResponse, STORE_UNAVAILABLE } from './dto/sessions-api-error.view.js';
import { ApiOperation, ApiResponse, ApiTags } from './openapi.js';
import { strictPipe } from './strict-pipe.js';

/**
 * "Recent activity": the signed-in user's security activity history (see
 * `activityHistoryDays`), newest first, a page at a time. Its path is the sessions API's
 * prefix with `activity` (`GET /account/activity` by default; set by the module).
 */
@Controller('account')
@UseGuards(UserSessionsGuard)
@ApiTags('sessions')
@ApiErrorResponse(401, 'Not signed in: no session cookie, or its session has ended or expired.')
@ApiErrorResponse(503, STORE_UNAVAILABLE)
export class UserActivityController {
  constructor(
    private readonly activity: SecurityActivityService,
    private readonly views: ActivityViews,
  ) {}

  @Get('activity')
  @Header('Cache-Control', NO_STORE)
  @Header('Vary', 'Accept-Language')
  @ApiOperation({
    summary: 'Your recent security activity',
    description: 'Sign-ins, sign-outs, ended sessions, new devices and their answers, risk signals: newest first, within the history\'s window.',
  })
  @ApiResponse({ status: 200, type: ActivityPage })
  @ApiErrorResponse(400, 'A bad `limit` or `cursor`.')
  async list(
    @Query(strictPipe()) query: ActivityQuery,
    @CurrentSession() session: UserSession,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<ActivityPage> {
    const locale = requestedLocale(acceptLanguage);
    if (locale !== undefined) appendHeader(response, 'Content-Language', locale);
    const page = await this.activity.list(session.userId!, { limit: query.limit, cursor: query.cursor });
    return { entries: page.entries.map((entry) => this.views.entry(entry, session.id, locale)), nextCursor: page.nextCursor };
  }
}
