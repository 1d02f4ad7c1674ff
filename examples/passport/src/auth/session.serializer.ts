import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import { UsersService } from '../users/users.service.js';

/** What `req.user` holds once signed in. */
export interface SignedInUser {
  id: number;
  username: string;
}

type Done<T> = (error: unknown, value?: T | false) => void;

/** The session keeps the user's id (`passport.user`); each request loads the user from it. */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  constructor(private readonly users: UsersService) {
    super();
  }

  serializeUser(user: SignedInUser, done: Done<number>): void {
    done(null, user.id);
  }

  deserializeUser(id: number, done: Done<SignedInUser>): void {
    this.users.findById(id).then(
      (user) => done(null, user ? { id: user.id, username: user.username } : false),
      (error: unknown) => done(error),
    );
  }
}
