import {
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  HttpStatus,
  NotFoundException,
  Param,
  Res,
  SetMetadata,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { DEFAULT_PATH, RECENT_LOGIN_METADATA, USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import { SessionStoreService } from '../store/session-store.service.js';
import { SessionDetailsService } from '../details/session-details.service.js';
import { requestedLocale } from '../details/locale.js';
import { appendHeader } from '../http/cookies.js';
import { UserSessionsGuard } from '../user-sessions.guard.js';
import { isRecentLogin, UserSessionsReauthGuard, type RecentLoginRequirement } from '../user-sessions-reauth.guard.js';
import { ReauthenticationRequiredException } from '../exceptions/reauthentication-required.exception.js';
import { CurrentSession } from '../user-sessions.decorators.js';
import type { UserSession } from '../session/user-session.js';
import { SessionIdParams } from './dto/session-id.params.js';
import { EndOtherSessionsResult, LOCALIZED_RESPONSE_HEADERS, SessionView } from './dto/session.view.js';
import { NO_STORE } from './cache-control.js';
import { ApiErrorResponse, CROSS_ORIGIN_OR_REAUTHENTICATE, STORE_UNAVAILABLE } from './dto/sessions-api-error.view.js';
import { ApiOperation, ApiResponse, ApiTags } from './openapi.js';
import type { RequireRecentLoginOptions, ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';

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
@ApiTags('sessions')
@ApiErrorResponse(401, 'Not signed in: no session cookie, or its session has ended or expired.')
@ApiErrorResponse(503, STORE_UNAVAILABLE)
export class UserSessionsController {
  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    private readonly store: SessionStoreService,
    private readonly details: SessionDetailsService,
  ) {}

  /**
   * The caller's unexpired sessions, most recent activity first; device and place names in the
   * language `Accept-Language` asks for (`Content-Language` says which).
   */
  @Get()
  @Header('Cache-Control', NO_STORE)
  @Header('Vary', 'Accept-Language')
  @ApiOperation({
    summary: 'List your sessions',
    description: 'Your unexpired sessions, most recent activity first. `device`, `browser`, `platform` and `location` are in '
      + 'the language `Accept-Language` asks for, named in `Content-Language`; English for a language not supported. '
      + "Without the header, device words are English and places in the `geoip.locale` option's language.",
  })
  @ApiResponse({ status: 200, type: [SessionView], description: 'Your sessions; `current` marks this one.', headers: LOCALIZED_RESPONSE_HEADERS })
  async list(
    @CurrentSession() session: UserSession,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<SessionView[]> {
    const locale = requestedLocale(acceptLanguage);
    const sessions = await this.store.listActive(session.userId!);
    if (locale !== undefined) appendHeader(response, 'Content-Language', locale);
    return sessions.map((active) => ({
      id: active.id,
      ip: active.ip,
      userAgent: active.userAgent,
      ...this.details.describe(active, locale),
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
  @Header('Cache-Control', NO_STORE)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one of your sessions', description: 'Ending the current session signs out.' })
  @ApiResponse({ status: 204, description: 'Ended.' })
  @ApiErrorResponse(400, 'The id is not a session id (64 lower-case hex digits).')
  @ApiErrorResponse(403, CROSS_ORIGIN_OR_REAUTHENTICATE)
  @ApiErrorResponse(404, "No such session of yours: unknown, already ended, or another user's.")
  async end(
    @Param(new ValidationPipe({ forbidUnknownValues: true })) params: SessionIdParams,
    @CurrentSession() session: UserSession,
  ): Promise<void> {
    if (params.id === session.id) {
      await this.store.logout(session);
      return;
    }
    // Here rather than in the guard: signing out the current session never needs a recent password.
    const maxAge = this.options.requireRecentLogin?.endSession;
    if (maxAge !== undefined && !isRecentLogin(session, maxAge)) throw new ReauthenticationRequiredException();
    if (!(await this.store.deleteForUser(session.userId!, params.id, { actor: session }))) {
      throw new NotFoundException('No such session.');
    }
  }

  /** Ends every session of the caller but the current one. */
  @Delete()
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: 'End all your other sessions', description: 'Signs out every device but this one.' })
  @ApiResponse({ status: 200, type: EndOtherSessionsResult, description: 'How many sessions ended.' })
  @ApiErrorResponse(403, CROSS_ORIGIN_OR_REAUTHENTICATE)
  @RecentLoginOption('endOtherSessions')
  async endOthers(@CurrentSession() session: UserSession): Promise<EndOtherSessionsResult> {
    return { deleted: await this.store.deleteOthers(session.userId!, session) };
  }
}
