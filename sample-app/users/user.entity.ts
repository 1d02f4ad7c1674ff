import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type UserRole = 'admin' | 'user';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  username: string;

  /** `'admin'` may use the admin API at `/admin/sessions`; everyone else is `'user'`. */
  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: UserRole;

  /** `scrypt$N=131072,r=8,p=1$<salt base64>$<key base64>`, or the first format `scrypt$<salt hex>$<hash hex>`: see `password-hash.ts`. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /**
   * What to tell the user at their next sign-in ("One of your sessions was ended: its cookie
   * was used from two devices…"), set by `TheftListener`; cleared once shown.
   */
  @Column({ name: 'security_notice', type: 'varchar', length: 1000, nullable: true })
  securityNotice: string | null;
}
