import { LessThanOrEqual, MoreThan, Not, type Repository } from 'typeorm';
import { Session } from './session.entity.js';
import type {
  SessionRecord,
  SessionRecordChanges,
  SessionStorage,
} from './session-storage.interface.js';
import type { UserId } from './user-sessions-module-options.interface.js';

/** The default `SessionStorage`: the `Session` entity's table, through TypeORM. */
export class TypeOrmSessionStorage implements SessionStorage {
  constructor(private readonly repository: Repository<Session>) {}

  /** One primary-key SELECT. */
  async find(id: string): Promise<SessionRecord | null> {
    return this.repository.findOne({ where: { id } });
  }

  async insert(record: SessionRecord): Promise<void> {
    await this.repository
      .createQueryBuilder()
      .insert()
      .values(record)
      .updateEntity(false)
      .execute();
  }

  async update(id: string, changes: SessionRecordChanges): Promise<boolean> {
    const result = await this.repository
      .createQueryBuilder()
      .update()
      .set(changes)
      .where({ id })
      .updateEntity(false)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async delete(id: string, userId?: UserId): Promise<boolean> {
    const result = await this.repository.delete(userId === undefined ? { id } : { id, userId });
    return (result.affected ?? 0) > 0;
  }

  async listActive(userId: UserId, now: Date): Promise<SessionRecord[]> {
    return this.repository.find({
      where: { userId, expireDate: MoreThan(now) },
      order: { lastActivity: 'DESC', createdAt: 'DESC', id: 'ASC' },
    });
  }

  async deleteOthers(userId: UserId, exceptId: string | null, now: Date): Promise<number> {
    const where = exceptId === null
      ? { userId, expireDate: MoreThan(now) }
      : { userId, expireDate: MoreThan(now), id: Not(exceptId) };
    const result = await this.repository.delete(where);
    return result.affected ?? 0;
  }

  async deleteExpired(now: Date): Promise<number> {
    const result = await this.repository.delete({ expireDate: LessThanOrEqual(now) });
    return result.affected ?? 0;
  }
}
