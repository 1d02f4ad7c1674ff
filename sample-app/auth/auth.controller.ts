import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { CurrentSession, CurrentUserId, SessionStoreService, UserSession, UserSessionsGuard } from '../../lib/index.js';
import { UsersService } from '../users/users.service.js';
import type { User } from '../users/user.entity.js';
import { LoginDto } from './login.dto.js';

/** What the API shows of a user. */
export interface UserProfile {
  id: number;
  username: string;
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionStoreService,
  ) {}

  @Post('login')
  @HttpCode(HttpStatus.OK)
  async login(@Body() credentials: LoginDto, @CurrentSession() session: UserSession): Promise<UserProfile> {
    const user = await this.users.findByCredentials(credentials.username, credentials.password);
    if (!user) {
      // One message for an unknown user and a wrong password: it must not reveal which usernames exist.
      throw new UnauthorizedException('Invalid username or password.');
    }
    await this.sessions.login(session, user.id);
    return toProfile(user);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(@CurrentSession() session: UserSession): Promise<void> {
    await this.sessions.logout(session);
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
