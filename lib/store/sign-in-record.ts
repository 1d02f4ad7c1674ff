import { Logger } from '@nestjs/common';
import type { UserId } from '../session/user-id.js';
import type { UserSession } from '../session/user-session.js';
import type { UserSessionsEventsPublisher } from '../events/user-sessions-events.publisher.js';
import type { SecurityActivityService } from '../activity/security-activity.service.js';
import type { DeviceRegistry, RecognizedDevice } from '../devices/device-registry.js';
import type { RiskSignals } from '../risk/risk-signals.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';

/**
 * What a sign-in leaves besides its session: the device it came from (known or new, with the
 * "Was this you?" answers), its history entries, and the impossible-travel check. Statements
 * at sign-in only: the device's two indexed SELECTs and its INSERT or UPDATE, one INSERT of
 * history. None of it fails the sign-in: a failure is logged.
 */
export class SignInRecord {
  private readonly logger = new Logger('UserSessions');

  constructor(
    private readonly devices: DeviceRegistry,
    private readonly activity: SecurityActivityService,
    private readonly risk: RiskSignals,
    private readonly events: UserSessionsEventsPublisher,
  ) {}

  /** Before the session's row is written: its device (which the row's records name). */
  async recognizeDevice(session: UserSession, userId: UserId, now: Date): Promise<RecognizedDevice | null> {
    try {
      return await this.devices.recognize(session, userId, now);
    } catch (error) {
      // The database is down or too slow: the sign-in's own write would fail the same way.
      if (error instanceof SessionStoreUnavailableException) throw error;
      this.logger.error(`A sign-in's device could not be recorded: ${(error as Error)?.message ?? error}`);
      // Not the device of an earlier sign-in on this session, either.
      session.setDeviceId(null);
      return null;
    }
  }

  /** After the row is written, before the sign-in's events: its history entries. */
  recordSignIn(session: UserSession, device: RecognizedDevice | null, now: Date): Promise<void> {
    const entry = { userId: session.userId!, at: now, sessionId: session.id, deviceId: device?.device.id ?? null, ip: session.ip, userAgent: session.userAgent };
    return this.activity.record(device?.isNew ? [{ ...entry, kind: 'signed-in' }, { ...entry, kind: 'new-device' }] : { ...entry, kind: 'signed-in' });
  }

  /** After the sign-in's event: the new device's event, and the travel check. */
  async afterSignIn(session: UserSession, device: RecognizedDevice | null, now: Date): Promise<void> {
    if (device?.answers) this.events.newDevice(session, { deviceId: device.device.id, answers: device.answers, at: now });
    if (device) await this.risk.checkTravel(session, device.previous, now);
  }

  /** After a re-authentication was stored. */
  reauthenticated(session: UserSession, now: Date): Promise<void> {
    return this.activity.record({
      userId: session.userId!,
      kind: 'reauthenticated',
      at: now,
      sessionId: session.id,
      deviceId: session.deviceId,
      ip: session.ip,
      userAgent: session.userAgent,
    });
  }
}
