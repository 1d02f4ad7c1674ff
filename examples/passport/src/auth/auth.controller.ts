import { Controller, Get, HttpCode, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { AuthenticatedGuard } from './authenticated.guard.js';
import { LocalAuthGuard } from './local-auth.guard.js';

@Controller()
export class AuthController {
  /** `{ "username": ..., "password": ... }`: signs in, and answers with the user. */
  @Post('auth/login')
  @HttpCode(HttpStatus.OK)
  @UseGuards(LocalAuthGuard)
  login(@Req() request: Request): Express.User | undefined {
    return request.user;
  }

  @Post('auth/logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  logout(@Req() request: Request): Promise<void> {
    return new Promise((resolve, reject) => request.logout((error) => (error ? reject(error) : resolve())));
  }

  @Get('profile')
  @UseGuards(AuthenticatedGuard)
  profile(@Req() request: Request): Express.User | undefined {
    return request.user;
  }

  /** What express-session apps keep in the session: a counter, as data on `req.session`. */
  @Post('visits')
  @UseGuards(AuthenticatedGuard)
  visit(@Req() request: Request & { session: { visits?: number } }): { visits: number } {
    request.session.visits = (request.session.visits ?? 0) + 1;
    return { visits: request.session.visits };
  }
}
