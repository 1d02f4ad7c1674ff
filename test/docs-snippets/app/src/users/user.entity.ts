import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Stand-in for the app's own User entity, which the docs' snippets import. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  username: string;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: 'admin' | 'user';

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;
}
