import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { foreignKeyTo, userSessionsMigrationsFor } from './module-migrations.js';
import { UserSessionsMigrationError } from '../exceptions/user-sessions-migration.error.js';

class Base {
  @PrimaryColumn({ name: 'account_uuid', type: 'uuid' })
  uuid: string;
}

@Entity('accounts')
class Account extends Base {
  @Column()
  name: string;
}

@Entity()
class TeamMember {
  @PrimaryGeneratedColumn()
  id: number;
}

class NotAnEntity {
  id: number;
}

describe('userSessionsMigrationsFor', () => {
  it('reads tableName and userIdType, and ignores the runtime options', () => {
    const migrations = userSessionsMigrationsFor({ tableName: 'sessions', userIdType: 'uuid', cookieName: 'x', maxAge: 60_000 } as never);
    expect(migrations.map((Migration) => new Migration().name)).toEqual(['CreateUserSessions1795651200000', 'AddSessionKeyRotation1796515200000', 'AddDevicesAndActivity1796601600000']);
  });

  it("points the foreign key at the entity's table and primary key column, inherited or generated", () => {
    expect(foreignKeyTo(Account)).toEqual({ table: 'accounts', column: 'account_uuid' });
    expect(foreignKeyTo(TeamMember)).toEqual({ table: 'team_member' });
    const migrations = userSessionsMigrationsFor({ userIdType: 'number', userEntity: () => TeamMember });
    expect(migrations.map((Migration) => new Migration().name)).toEqual(['CreateUserSessions1795651200000', 'AddUserSessionsForeignKey1795651200001', 'AddSessionKeyRotation1796515200000', 'AddDevicesAndActivity1796601600000']);
  });

  it('refuses a userEntity that is not an entity, saying what to give instead', () => {
    expect(() => userSessionsMigrationsFor({ userEntity: () => NotAnEntity })).toThrow(UserSessionsMigrationError);
    expect(() => userSessionsMigrationsFor({ userEntity: () => NotAnEntity })).toThrow(/not a TypeORM entity.*userForeignKey: \{ table \}/);
  });
});
