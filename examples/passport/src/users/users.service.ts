import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Repository } from 'typeorm';
import { User } from './user.entity.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async create(username: string, password: string): Promise<User> {
    const salt = randomBytes(16);
    const hash = await scryptAsync(password, salt, 32);
    return this.users.save(this.users.create({ username, passwordHash: `${salt.toString('hex')}:${hash.toString('hex')}` }));
  }

  /** The user with these credentials, or null. */
  async validate(username: string, password: string): Promise<User | null> {
    const user = await this.users.findOneBy({ username });
    if (!user) return null;
    const [salt, hash] = user.passwordHash.split(':');
    const attempt = await scryptAsync(password, Buffer.from(salt, 'hex'), 32);
    return timingSafeEqual(attempt, Buffer.from(hash, 'hex')) ? user : null;
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ username });
  }

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async remove(id: number): Promise<void> {
    await this.users.delete({ id });
  }
}
