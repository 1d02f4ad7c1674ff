import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { UsersService } from '../users/users.service.js';
import type { UserProfile } from './auth.controller.js';

/** Passport's username-and-password check (`passport-local`), on the app's users. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly users: UsersService) {
    super();
  }

  async validate(username: string, password: string): Promise<UserProfile> {
    const user = await this.users.findByCredentials(username, password);
    // One message for an unknown user and a wrong password: it must not reveal which usernames exist.
    if (!user) throw new UnauthorizedException('Invalid username or password.');
    return { id: user.id, username: user.username };
  }
}
