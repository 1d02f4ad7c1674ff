import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100, unique: true })
  username: string;

  /** scrypt: `salt:hash`, both hex. */
  @Column({ type: 'varchar', length: 200 })
  passwordHash: string;
}
