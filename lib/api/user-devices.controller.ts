import {
  Body,
  Controller,
  ForbiddenException,
  GoneException,
  Get,
  Header,
  Headers,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { requestedLocale } from '../details/locale.js';
import { appendHeader } from '../http/cookies.js';
import { RequestSessionService } from '../http/request-session.service.js';
import { KnownDevicesService, type DeviceAnswerResult } from '../store/known-devices.service.js';
import type { DeviceAnswerCheck } from '../devices/device-registry.js';
import { UserSessionsGuard } from '../user-sessions.guard.js';
import { CurrentSession } from '../user-sessions.decorators.js';
import type { UserSession } from '../session/user-session.js';
import { DeviceAnswerBody, DeviceAnswerOutcome, DeviceAnswerPreview, DeviceView } from './dto/device.view.js';
import { ActivityViews } from './activity-views.js';
import { NO_STORE } from './cache-control.js';
import { ApiErrorResponse, CROSS_ORIGIN_REFUSED, STORE_UNAVAILABLE } from './dto/sessions-api-error.view.js';
import { ApiOperation, ApiResponse, ApiTags } from './openapi.js';
import { strictPipe } from './strict-pipe.js';

/**
 * "Your devices" and the answers to "Was this you?". The list needs a signed-in session; the
 * answers do not (the alert is read in an e-mail, perhaps on another device), but a signed-in
 * session of another user is refused. Under the sessions API's prefix: `/account/devices`.
 */
@Controller('account')
@ApiTags('sessions')
@ApiErrorResponse(503, STORE_UNAVAILABLE)
export class UserDevicesController {
  constructor(
    private readonly answers: KnownDevicesService,
    private readonly requests: RequestSessionService,
    private readonly views: ActivityViews,
  ) {}

  @Get('devices')
  @UseGuards(UserSessionsGuard)
  @Header('Cache-Control', NO_STORE)
  @Header('Vary', 'Accept-Language')
  @ApiOperation({ summary: 'Your devices', description: 'The browsers you signed in from, latest sign-in first, with what you answered to "Was this you?".' })
  @ApiResponse({ status: 200, type: [DeviceView] })
  @ApiErrorResponse(401, 'Not signed in: no session cookie, or its session has ended or expired.')
  async list(
    @CurrentSession() session: UserSession,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<DeviceView[]> {
    const locale = requestedLocale(acceptLanguage);
    if (locale !== undefined) appendHeader(response, 'Content-Language', locale);
    const devices = await this.answers.list(session.userId!);
    return devices.map((device) => this.views.device(device, session.deviceId, locale));
  }

  /**
   * What an answer's token would do, without using it: the page behind the e-mail's link shows
   * it and asks once more. A POST, so that the token stays out of URLs and access logs.
   */
  @Post('devices/answer/preview')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: 'Look at a "Was this you?" answer', description: 'Does not use the token: e-mail scanners open links, so the page asks first.' })
  @ApiResponse({ status: 200, type: DeviceAnswerPreview })
  @ApiErrorResponse(400, 'No token.')
  @ApiErrorResponse(403, 'Another user is signed in here.')
  @ApiErrorResponse(404, 'Not a token of an unanswered alert: mistyped, tampered with, or used already.')
  @ApiErrorResponse(410, 'The answer has expired.')
  async preview(
    @Body(strictPipe()) body: DeviceAnswerBody,
    @Req() request: object,
    @Headers('accept-language') acceptLanguage: string | undefined,
  ): Promise<DeviceAnswerPreview> {
    const checked = await this.answers.check(body.token, await this.signedInUser(request));
    refuse(checked);
    const { device, answer } = checked as Extract<DeviceAnswerCheck, { status: 'valid' }>;
    const view = this.views.device(device, null, requestedLocale(acceptLanguage));
    return { answer, device: view.device, location: view.location, signedInAt: view.lastSeen };
  }

  /** "Yes, this was me" (the device becomes trusted) or "No" (its sessions end, it is reported). */
  @Post('devices/answer')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: 'Answer "Was this you?"', description: 'Each token works once; either answer spends both.' })
  @ApiResponse({ status: 200, type: DeviceAnswerOutcome })
  @ApiErrorResponse(400, 'No token.')
  @ApiErrorResponse(403, `Another user is signed in here; or ${CROSS_ORIGIN_REFUSED.toLowerCase()}`)
  @ApiErrorResponse(404, 'Not a token of an unanswered alert: mistyped, tampered with, or used already.')
  @ApiErrorResponse(410, 'The answer has expired.')
  async answer(@Body(strictPipe()) body: DeviceAnswerBody, @Req() request: object): Promise<DeviceAnswerOutcome> {
    const result = await this.answers.answer(body.token, await this.signedInUser(request));
    refuse(result);
    const { status, endedSessions } = result as Extract<DeviceAnswerResult, { deviceId: string }>;
    return { status, endedSessions };
  }

  private async signedInUser(request: object) {
    return (await this.requests.getSession(request)).userId;
  }
}

function refuse(result: DeviceAnswerCheck | DeviceAnswerResult): void {
  if (result.status === 'invalid') throw new NotFoundException('No such question: the link is wrong, or was used already.');
  if (result.status === 'expired') throw new GoneException('This answer has expired.');
  if (result.status === 'another-user') throw new ForbiddenException('Another user is signed in here.');
}
