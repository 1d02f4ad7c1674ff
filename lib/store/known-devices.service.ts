import { Injectable } from '@nestjs/common';
import type { UserId } from '../session/user-id.js';
import { readSessionData } from '../session/session-data.js';
import { DeviceRegistry, type DeviceAnswerCheck } from '../devices/device-registry.js';
import type { UserDevice } from '../session/user-device.entity.js';
import { SecurityActivityService } from '../activity/security-activity.service.js';
import { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import { UserSessionsEvents } from '../events/user-sessions.events.js';
import { SessionStoreService } from './session-store.service.js';

/** What answering "Was this you?" did. */
export type DeviceAnswerResult =
  | { status: 'trusted' | 'reported'; deviceId: string; endedSessions: number }
  /** Not a token the module issued, tampered with, or spent already. */
  | { status: 'invalid' }
  /** Past `knownDevices.answerTtl`. */
  | { status: 'expired' }
  /** Another user than the device's is signed in where the answer came from. */
  | { status: 'another-user' };

/**
 * A user's known devices (see `knownDevices`), and the answers to a new device's "Was this
 * you?" (the tokens of `NewDeviceEvent.answers`): "Yes" marks the device trusted; "No" ends its
 * sessions, marks it reported and raises `deviceReported`, so that the app can ask for a new
 * password. Each token works once, until it expires, and only for the device's own user. The
 * devices API serves them; apps with pages of their own inject this.
 */
@Injectable()
export class KnownDevicesService {
  constructor(
    private readonly devices: DeviceRegistry,
    private readonly store: SessionStoreService,
    private readonly activity: SecurityActivityService,
    private readonly events: UserSessionsEventsPublisher,
  ) {}

  /**
   * What a token would answer, without spending it (for a confirmation page: e-mail scanners
   * open links, so a link must not act on its own). `signedInUserId`: the user signed in where
   * it is opened, or null.
   */
  check(token: unknown, signedInUserId: UserId | null): Promise<DeviceAnswerCheck> {
    return this.devices.check(token, signedInUserId);
  }

  /** Answers with the token: once, before it expires, for the device's own user. */
  async answer(token: unknown, signedInUserId: UserId | null): Promise<DeviceAnswerResult> {
    const checked = await this.devices.check(token, signedInUserId);
    if (checked.status !== 'valid') return checked;
    const { device, answer } = checked;
    // "No" ends the sessions before it spends the token: if the database fails part way, the
    // same link can be used again (ending sessions twice ends nothing more).
    const endedSessions = answer === 'report' ? await this.endDeviceSessions(device) : 0;
    if (!(await this.devices.spend(device, answer))) return { status: 'invalid' };
    const now = new Date();
    const kind = answer === 'confirm' ? 'device-trusted' : 'device-reported';
    await this.activity.record({
      userId: device.userId,
      kind,
      at: now,
      deviceId: device.id,
      ip: device.ip,
      userAgent: device.userAgent,
      details: answer === 'report' ? { endedSessions } : null,
    });
    this.events.deviceAnswered({
      type: answer === 'confirm' ? UserSessionsEvents.deviceTrusted : UserSessionsEvents.deviceReported,
      userId: device.userId,
      deviceId: device.id,
      ip: device.ip,
      userAgent: device.userAgent,
      clientPlatform: device.clientPlatform,
      clientPlatformVersion: device.clientPlatformVersion,
      endedSessions,
      at: now,
    });
    return { status: answer === 'confirm' ? 'trusted' : 'reported', deviceId: device.id, endedSessions };
  }

  /** The user's devices, most recent sign-in first (at most 100). */
  list(userId: UserId): Promise<UserDevice[]> {
    return this.devices.list(userId);
  }

  /** Deletes the user's devices, as their account is deleted; returns how many. */
  deleteForUser(userId: UserId): Promise<number> {
    return this.devices.deleteForUser(userId);
  }

  /** Ends the user's sessions signed in on the device: one read of their sessions, one DELETE each. */
  private async endDeviceSessions(device: UserDevice): Promise<number> {
    const sessions = await this.store.listActiveRecords(device.userId);
    let ended = 0;
    for (const session of sessions) {
      if (readSessionData(session.data, session.id).deviceId !== device.id) continue;
      if (await this.store.deleteForUser(device.userId, session.id, { endedBy: 'device-reported', actor: null })) ended += 1;
    }
    return ended;
  }
}
