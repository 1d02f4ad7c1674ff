import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { User } from './user.entity.js';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword, type ScryptCost } from './password-hash.js';
import { SCRYPT_COST } from './scrypt-cost.module.js';

/** The accounts the demo starts with: alice administers sessions, bob does not. */
export const DEMO_USERS = [
  { username: 'alice', password: 'alice-password', role: 'admin' },
  { username: 'bob', password: 'bob-password', role: 'user' },
] as const;

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);
  /** Checked for unknown users, so that timing does not tell which exist: at the cost real hashes get. */
  private readonly decoyHash: string;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @Inject(SCRYPT_COST) private readonly scryptCost: ScryptCost,
  ) {
    this.decoyHash = decoyPasswordHash(scryptCost);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.seedDemoUsers();
  }

  /**
   * Creates the demo users that do not exist yet, and gives them back their demo role (a
   * database from before roles has alice as a plain user); safe to run on every start.
   */
  async seedDemoUsers(): Promise<void> {
    for (const { username, password, role } of DEMO_USERS) {
      const user = await this.users.findOneBy({ username });
      if (user === null) {
        await this.users.insert({ username, role, passwordHash: await hashPassword(password, this.scryptCost) });
        this.logger.log(`Created demo user "${username}"`);
      } else if (user.role !== role) {
        await this.users.update({ id: user.id }, { role });
      }
    }
  }

  /** The user whose username and password these are, or null. */
  async findByCredentials(username: string, password: string): Promise<User | null> {
    const user = await this.users.findOneBy({ username });
    return (await this.passwordMatches(user, password)) ? user : null;
  }

  /** Whether `password` is the password of user `id` (a deleted user has none). */
  async checkPassword(id: number, password: string): Promise<boolean> {
    const user = await this.users.findOneBy({ id });
    return this.passwordMatches(user, password);
  }

  /**
   * Whether `password` is the user's; when it is, and their hash was made at a lower cost than
   * today's, the hash is made again at today's cost: the only time the password is at hand.
   */
  private async passwordMatches(user: User | null, password: string): Promise<boolean> {
    const matches = await verifyPassword(password, user?.passwordHash ?? this.decoyHash);
    if (user === null || !matches) return false;
    if (needsRehash(user.passwordHash, this.scryptCost)) {
      user.passwordHash = await hashPassword(password, this.scryptCost);
      await this.users.update({ id: user.id }, { passwordHash: user.passwordHash });
    }
    return true;
  }

  /** Gives the user a new password, hashed at today's cost. */
  async setPassword(id: number, password: string): Promise<void> {
    await this.users.update({ id }, { passwordHash: await hashPassword(password, this.scryptCost) });
  }

  /** Keeps a notice for the user's next sign-in (the newest replaces an older one not shown yet). */
  async setSecurityNotice(id: number, notice: string): Promise<void> {
    await this.users.update({ id }, { securityNotice: notice.slice(0, 1000) });
  }

  /** The notice kept for the user, cleared as it is read: shown once. */
  async takeSecurityNotice(id: number): Promise<string | null> {
    const user = await this.users.findOne({ where: { id }, select: { id: true, securityNotice: true } });
    if (!user?.securityNotice) return null;
    await this.users.update({ id, securityNotice: user.securityNotice }, { securityNotice: null });
    return user.securityNotice;
  }

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** Whether the user may administer sessions; read from the database on each call. */
  isAdmin(id: number): Promise<boolean> {
    return this.users.existsBy({ id, role: 'admin' });
  }
}
