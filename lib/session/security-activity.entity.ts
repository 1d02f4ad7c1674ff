import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DEFAULT_ACTIVITY_TABLE_NAME, MAX_USER_AGENT_LENGTH } from '../user-sessions.constants.js';
import type { UserId } from '../session/user-id.js';

/**
 * One entry of a user's security activity history (see `activityHistoryDays`): something that
 * happened to their account, when, and from which device and place. Inserted when it happens;
 * deleted by the cleanup once older than the history's window.
 */
@Entity(DEFAULT_ACTIVITY_TABLE_NAME)
@Index(['userId', 'id'])
@Index(['at'])
export class SecurityActivityRecord {
  /** Increasing: the history's order, and its pages' cursor. */
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'integer' })
  id: number;

  /** Whose history; type set by `userIdType`. */
  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: UserId;

  /** What happened (`SecurityActivityKind`). */
  @Column({ name: 'kind', type: 'varchar', length: 32 })
  kind: string;

  @Column({ name: 'at', type: Date })
  at: Date;

  /** The session it happened to or from, or null. */
  @Column({ name: 'session_id', type: 'varchar', length: 64, nullable: true })
  sessionId: string | null;

  /** The known device it happened on, or null. */
  @Column({ name: 'device_id', type: 'varchar', length: 32, nullable: true })
  deviceId: string | null;

  /** The client's IP, as the `ipAddresses` option lets it be kept. */
  @Column({ name: 'ip', type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  /** The client's user agent, unless `storeUserAgent` is off. */
  @Column({ name: 'user_agent', type: 'varchar', length: MAX_USER_AGENT_LENGTH, nullable: true })
  userAgent: string | null;

  /** What else the entry says (who ended sessions, how many, the other place), as JSON. */
  @Column({ name: 'details', type: 'text', nullable: true })
  details: string | null;
}
