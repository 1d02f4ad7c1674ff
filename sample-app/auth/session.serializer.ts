import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import type { UserProfile } from './auth.controller.js';

type Done<T> = (error: unknown, value?: T) => void;

/**
 * What Passport keeps in the session (`passport.user`): the user's id, which the module makes
 * the session's user. The app's guards are the module's (`UserSessionsGuard` sets `req.user`),
 * so Passport deserializes nothing on its own; the id is enough.
 */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  serializeUser(user: UserProfile, done: Done<number>): void {
    done(null, user.id);
  }

  deserializeUser(id: number, done: Done<{ id: number }>): void {
    done(null, { id });
  }
}
