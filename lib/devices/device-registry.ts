import type { Repository } from 'typeorm';
import type { UserId } from '../session/user-id.js';
import type { UserSession } from '../session/user-session.js';
import { digestSessionKey, generateSessionKey } from '../session/session-key.js';
import type { DeviceAnswers } from '../events/user-sessions.events.js';
import { UserDevice } from '../session/user-device.entity.js';
import { answerMatches, generateDeviceId, newDeviceAnswer, parseDeviceAnswer } from './device-answer-token.js';

/**
 * The tokens stay readable on the event, but `JSON.stringify()` (an audit log of every event)
 * leaves them out: whoever reads the log must not be able to answer for the user.
 */
function hideTokensFromJson(answers: DeviceAnswers): void {
  Object.defineProperty(answers, 'toJSON', { value: () => ({ expiresAt: answers.expiresAt }), enumerable: false });
}

/** Runs one statement (the outage guard's `run()`). */
export type StatementRunner = <T>(action: () => Promise<T>) => Promise<T>;

/** What a sign-in found out about its device. */
export interface RecognizedDevice {
  device: UserDevice;
  /** New to this user: never signed in with, or reported ("No, this wasn't me"). */
  isNew: boolean;
  /** The "Was this you?" answers of a new device; null for a known one. */
  answers: DeviceAnswers | null;
  /** The user's latest sign-in before this one, on any device (for impossible travel), or null. */
  previous: { ip: string | null; at: Date } | null;
}

/** What an answer found: the device, and whether it was valid. */
export type DeviceAnswerCheck =
  | { status: 'valid'; device: UserDevice; answer: 'confirm' | 'report' }
  | { status: 'invalid' | 'expired' | 'another-user' };

/**
 * The known devices table (`user_devices`, see `knownDevices`): what a sign-in recognises (two
 * indexed SELECTs and one INSERT or UPDATE, at sign-in only), the answers to "Was this you?",
 * and a user's device list. A request that only reads never touches it.
 */
export class DeviceRegistry {
  constructor(
    /** Null when known devices are off (or there is no TypeORM data source). */
    private readonly repository: Repository<UserDevice> | null,
    private readonly answerTtl: number,
    /** Runs each statement under the session storage's rules (`storageTimeout`, 503 when down). */
    private readonly run: StatementRunner = (action) => action(),
  ) {}

  get enabled(): boolean {
    return this.repository !== null;
  }

  /**
   * The device of a sign-in of `userId` at `now`: the browser's device cookie, or a new one for a
   * browser without (a session that cannot set cookies, outside HTTP, gets none: null). Updates
   * the device's last sign-in and client, or inserts it; gives the session the device (its id
   * in the session's records, its key for the cookie).
   */
  async recognize(session: UserSession, userId: UserId, now: Date): Promise<RecognizedDevice | null> {
    const repository = this.repository;
    if (repository === null || (session.deviceKey === null && !session.deviceCookieWritable)) return null;
    const presented = session.deviceKey === null ? null : digestSessionKey(session.deviceKey);
    const latest = await this.run(() => repository.findOne({ where: { userId }, order: { lastSeen: 'DESC' } }));
    const known =
      presented === null ? null : latest?.keyDigest === presented ? latest : await this.run(() => repository.findOneBy({ userId, keyDigest: presented }));
    // A new key at every sign-in: a copied or planted device cookie is known once at most, and
    // the browser that keeps the older copy looks new at its next sign-in.
    const key = generateSessionKey();
    const client = {
      keyDigest: digestSessionKey(key),
      lastSeen: now,
      userAgent: session.userAgent,
      clientPlatform: session.clientPlatform,
      clientPlatformVersion: session.clientPlatformVersion,
      ip: session.ip,
    };
    let device: UserDevice;
    let answers: DeviceAnswers | null = null;
    if (known && known.trust !== 'reported') {
      await this.run(() => repository.update({ id: known.id }, client));
      device = Object.assign(known, client);
    } else {
      const id = known?.id ?? generateDeviceId();
      const confirm = newDeviceAnswer(id);
      const report = newDeviceAnswer(id);
      const expiresAt = new Date(now.getTime() + this.answerTtl);
      answers = { confirmToken: confirm.token, reportToken: report.token, expiresAt };
      hideTokensFromJson(answers);
      const asked = { trust: 'unconfirmed' as const, confirmDigest: confirm.digest, reportDigest: report.digest, answersExpireAt: expiresAt };
      if (known) {
        await this.run(() => repository.update({ id }, { ...client, ...asked }));
        device = Object.assign(known, client, asked);
      } else {
        device = repository.create({ id, userId, firstSeen: now, ...client, ...asked });
        await this.run(() => repository.insert(device));
      }
    }
    session.deviceKey = key;
    session.deviceCookieStale = true;
    session.setDeviceId(device.id);
    return { device, isNew: answers !== null, answers, previous: latest ? { ip: latest.ip, at: latest.lastSeen } : null };
  }

  /** Checks an answer's token without spending it: one primary-key SELECT for a well-formed one. */
  async check(token: unknown, answeringUserId: UserId | null, now: Date = new Date()): Promise<DeviceAnswerCheck> {
    const parsed = parseDeviceAnswer(token);
    if (this.repository === null || parsed === null) return { status: 'invalid' };
    const repository = this.repository;
    const device = await this.run(() => repository.findOneBy({ id: parsed.deviceId }));
    if (!device) return { status: 'invalid' };
    const answer = answerMatches(parsed.secret, device.confirmDigest) ? 'confirm' : answerMatches(parsed.secret, device.reportDigest) ? 'report' : null;
    if (answer === null) return { status: 'invalid' };
    if (answeringUserId !== null && String(answeringUserId) !== String(device.userId)) return { status: 'another-user' };
    if (device.answersExpireAt === null || device.answersExpireAt.getTime() <= now.getTime()) return { status: 'expired' };
    return { status: 'valid', device, answer };
  }

  /**
   * Spends a valid answer: the device becomes trusted or reported and both answers are gone, in
   * one UPDATE that only the first of two concurrent answers wins. Returns whether this one did.
   */
  async spend(device: UserDevice, answer: 'confirm' | 'report'): Promise<boolean> {
    const result = await this.run(() =>
      this.repository!.update(
        { id: device.id, confirmDigest: device.confirmDigest!, reportDigest: device.reportDigest! },
        { trust: answer === 'confirm' ? 'trusted' : 'reported', confirmDigest: null, reportDigest: null, answersExpireAt: null },
      ),
    );
    return (result.affected ?? 0) > 0;
  }

  /** The user's devices, most recent sign-in first (at most 100). */
  list(userId: UserId): Promise<UserDevice[]> {
    const repository = this.repository;
    if (repository === null) return Promise.resolve([]);
    return this.run(() => repository.find({ where: { userId }, order: { lastSeen: 'DESC' }, take: 100 }));
  }

  /** Deletes the user's devices (their account is deleted, say); returns how many. */
  async deleteForUser(userId: UserId): Promise<number> {
    const repository = this.repository;
    if (repository === null) return 0;
    return (await this.run(() => repository.delete({ userId }))).affected ?? 0;
  }
}
