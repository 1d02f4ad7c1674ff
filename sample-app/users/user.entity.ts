import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  username: string;

  /** `scrypt$<salt hex>$<hash hex>`, see `password-hash.ts`. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;
}
