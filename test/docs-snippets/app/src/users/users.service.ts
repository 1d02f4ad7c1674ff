import { Injectable } from '@nestjs/common';
import type { User } from './user.entity.js';

/** Stand-in for the app's own users service, which the docs' snippets import. */
@Injectable()
export class UsersService {
  /** The user whose username and password these are, or null. */
  async findByCredentials(username: string, password: string): Promise<User | null> {
    void username;
    void password;
    return null;
  }

  /** Whether `password` is the password of user `id`. */
  async checkPassword(id: number, password: string): Promise<boolean> {
    void id;
    void password;
    return false;
  }

  async findById(id: number): Promise<User | null> {
    void id;
    return null;
  }
}
