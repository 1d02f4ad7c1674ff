import { Injectable } from '@nestjs/common';
import { SessionDetailsService } from '../details/session-details.service.js';
import type { SecurityActivityEntry } from '../activity/security-activity.types.js';
import type { UserDevice } from '../session/user-device.entity.js';
import type { ActivityEntryView } from './dto/activity.view.js';
import type { DeviceView } from './dto/device.view.js';

/** History entries and devices as the API shows them: names in the request's language. */
@Injectable()
export class ActivityViews {
  constructor(private readonly details: SessionDetailsService) {}

  entry(entry: SecurityActivityEntry, currentSessionId: string | null, locale: string | undefined): ActivityEntryView {
    const from = entry.details.from as { ip?: unknown } | undefined;
    return {
      id: entry.id,
      kind: entry.kind,
      at: entry.at.toISOString(),
      sessionId: entry.sessionId,
      deviceId: entry.deviceId,
      ip: entry.ip,
      device: this.details.device(entry.userAgent, null, locale),
      location: this.details.location(entry.ip, locale),
      previousLocation: typeof from?.ip === 'string' ? this.details.location(from.ip, locale) : null,
      current: entry.sessionId !== null && entry.sessionId === currentSessionId,
      details: entry.details,
    };
  }

  device(device: UserDevice, currentDeviceId: string | null, locale: string | undefined): DeviceView {
    const hints = { platform: device.clientPlatform, platformVersion: device.clientPlatformVersion };
    return {
      id: device.id,
      device: this.details.device(device.userAgent, hints, locale),
      location: this.details.location(device.ip, locale),
      ip: device.ip,
      firstSeen: device.firstSeen.toISOString(),
      lastSeen: device.lastSeen.toISOString(),
      trust: device.trust,
      current: device.id === currentDeviceId,
    };
  }
}
