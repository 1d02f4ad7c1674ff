import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { CurrentSession, CurrentUserId, SessionStoreService, UserSession, UserSessionsGuard } from '../../lib/index.js';
import { UsersService } from '../users/users.service.js';
import type { User } from '../users/user.entity.js';
import { ChangePasswordDto } from './change-password.dto.js';
import { LocalAuthGuard } from './local-auth.guard.js';
import { LoginDto } from './login.dto.js';
import { ReauthenticateDto } from './reauthenticate.dto.js';
import { ThrottleAccount, usernameKey } from './sign-in-limits.js';
import { SignInThrottlerGuard } from './sign-in-throttler.guard.js';
import { ValidBodyGuard } from './valid-body.guard.js';

/** What the API shows of a user. */
export interface UserProfile {
  id: number;
  username: string;
}

/** What a sign-in answers: the user, and once, what happened to their account since (a session ended as stolen). */
export interface SignInResult extends UserProfile {
  securityNotice?: string;
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStoreService,
  ) {}

  /**
   * Passport signs in (`LocalAuthGuard`); the body parameter is for the OpenAPI document. In
   * this order: junk is a 400, too many attempts a 429, and only then is the password checked.
   */
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @UseGuards(ValidBodyGuard(LoginDto), SignInThrottlerGuard, LocalAuthGuard)
  @ThrottleAccount((request) => usernameKey((request.body as LoginDto).username))
  async login(@Body() _credentials: LoginDto, @Req() request: { user: UserProfile }): Promise<SignInResult> {
    const notice = await this.users.takeSecurityNotice(request.user.id);
    return notice === null ? request.user : { ...request.user, securityNotice: notice };
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(@CurrentSession() session: UserSession): Promise<void> {
    await this.sessions.logout(session);
  }

  /**
   * "Sudo mode": the signed-in user enters their password again, for the routes that require a
   * recent one ("End all other sessions"). A wrong password is a 403, not a 401: the user is
   * still signed in. Throttled as sign-ins are, the account being the signed-in user's.
   */
  @Post('reauthenticate')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(UserSessionsGuard, ValidBodyGuard(ReauthenticateDto), SignInThrottlerGuard)
  @ThrottleAccount((request) => (request.user as { id: number }).id)
  async reauthenticate(@Body() body: ReauthenticateDto, @CurrentSession() session: UserSession): Promise<void> {
    if (!(await this.users.checkPassword(session.userId as number, body.password))) {
      throw new ForbiddenException('Invalid password.');
    }
    if (!(await this.sessions.reauthenticate(session))) {
      // Ended elsewhere (on another device) while the password was being checked.
      throw new UnauthorizedException('Sign in to continue.');
    }
  }

  /**
   * A new password, given the current one (403 when wrong, throttled as re-authentication).
   * Every other session of the user ends (whoever holds a copy of an old cookie is signed out),
   * and this one gets a new key and counts as a fresh password entry.
   */
  @Post('password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @UseGuards(UserSessionsGuard, ValidBodyGuard(ChangePasswordDto), SignInThrottlerGuard)
  @ThrottleAccount((request) => (request.user as { id: number }).id)
  async changePassword(@Body() body: ChangePasswordDto, @CurrentSession() session: UserSession): Promise<void> {
    const userId = session.userId as number;
    if (!(await this.users.checkPassword(userId, body.currentPassword))) {
      throw new ForbiddenException('Invalid password.');
    }
    await this.users.setPassword(userId, body.newPassword);
    await this.sessions.signOutEverywhere(userId, 'password-changed', { keep: session });
    await this.sessions.reauthenticate(session);
  }

  @Get('me')
  @UseGuards(UserSessionsGuard)
  async me(@CurrentUserId() userId: number): Promise<UserProfile> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthorizedException('Sign in to continue.');
    return toProfile(user);
  }
}

function toProfile(user: User): UserProfile {
  return { id: user.id, username: user.username };
}
