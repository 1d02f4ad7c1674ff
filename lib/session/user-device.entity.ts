import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DEFAULT_DEVICES_TABLE_NAME, MAX_USER_AGENT_LENGTH } from '../user-sessions.constants.js';
import type { UserId } from '../session/user-id.js';

/**
 * What the user said of a device: not asked or not answered yet, "Yes, this was me", or
 * "No, this wasn't me".
 */
export type DeviceTrust = 'unconfirmed' | 'trusted' | 'reported';

/**
 * A browser a user has signed in from (see `knownDevices`): one row per user and device cookie.
 * The cookie's key lives only in the browser; the row keeps its SHA-256 digest, as sessions do.
 * Written at sign-in and when the user answers "Was this you?", never on a read.
 */
@Entity(DEFAULT_DEVICES_TABLE_NAME)
@Index(['userId', 'keyDigest'], { unique: true })
@Index(['userId', 'lastSeen'])
export class UserDevice {
  /** The device's public id, as the devices API lists it: random, unrelated to its key. */
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 32 })
  id: string;

  /** The user; type set by `userIdType`. */
  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: UserId;

  /** SHA-256 digest of the device cookie's key, hex. */
  @Column({ name: 'key_digest', type: 'varchar', length: 64 })
  keyDigest: string;

  /** The first sign-in from it. */
  @Column({ name: 'first_seen', type: Date })
  firstSeen: Date;

  /** The latest sign-in from it. */
  @Column({ name: 'last_seen', type: Date })
  lastSeen: Date;

  /** The user agent of the latest sign-in, as the privacy options let it be kept. */
  @Column({ name: 'user_agent', type: 'varchar', length: MAX_USER_AGENT_LENGTH, nullable: true })
  userAgent: string | null;

  /** `Sec-CH-UA-Platform` of the latest sign-in, or null. */
  @Column({ name: 'client_platform', type: 'varchar', length: 32, nullable: true })
  clientPlatform: string | null;

  /** `Sec-CH-UA-Platform-Version` of the latest sign-in, or null. */
  @Column({ name: 'client_platform_version', type: 'varchar', length: 32, nullable: true })
  clientPlatformVersion: string | null;

  /** The IP of the latest sign-in, as the `ipAddresses` option lets it be kept: its place. */
  @Column({ name: 'ip', type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  /** What the user said of it. */
  @Column({ name: 'trust', type: 'varchar', length: 16 })
  trust: DeviceTrust;

  /** Digest of the pending "Yes, this was me" answer, or null once answered or never asked. */
  @Column({ name: 'confirm_digest', type: 'varchar', length: 64, nullable: true })
  confirmDigest: string | null;

  /** Digest of the pending "No, this wasn't me" answer, or null with `confirmDigest`. */
  @Column({ name: 'report_digest', type: 'varchar', length: 64, nullable: true })
  reportDigest: string | null;

  /** When the pending answers stop being accepted. */
  @Column({ name: 'answers_expire_at', type: Date, nullable: true })
  answersExpireAt: Date | null;
}
