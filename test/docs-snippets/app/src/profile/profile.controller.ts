// Stand-in: the README's profile controller, which the testing page's recipe tests.
import { Body, Controller, Get, Post, UseGuards } from '@nestjs/common';
import { CurrentSession, CurrentUserId, UserSession, UserSessionsGuard } from 'nestjs-user-sessions';

@Controller('profile')
@UseGuards(UserSessionsGuard) // 401 unless a user is signed in
export class ProfileController {
  @Get()
  show(@CurrentUserId() userId: number, @CurrentSession() session: UserSession) {
    return { userId, theme: session.get('theme') ?? 'light' }; // a read: one SELECT, no write
  }

  @Post('theme')
  setTheme(@Body() body: { theme: string }, @CurrentSession() session: UserSession) {
    session.set('theme', body.theme); // saved (one UPDATE) before the response leaves
    return { theme: body.theme };
  }
}
