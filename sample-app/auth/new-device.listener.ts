import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { UserSessionsEvents, type DeviceAnsweredEvent, type NewDeviceEvent } from '../../lib/index.js';
import { UsersService } from '../users/users.service.js';

/** Where the links of the alert lead: this app, as the browser reaches it (`PUBLIC_URL`). */
const PUBLIC_URL = (process.env.PUBLIC_URL ?? `http://localhost:${process.env.PORT || 3000}`).replace(/\/+$/, '');

/**
 * "Was this you?": the e-mail an app sends when a user signs in from a device new to them
 * (not merely a new session: a known laptop whose session expired is not news), with a link
 * for each answer. Here it is logged, as a development mail catcher would show it; the links
 * lead to `/devices/answer`, which asks once more before it acts (mail scanners open links).
 * Logging the tokens is what a development mail catcher does; a real app only mails them.
 */
@Injectable()
export class NewDeviceListener {
  private readonly logger = new Logger('Alerts');

  constructor(private readonly users: UsersService) {}

  @OnEvent(UserSessionsEvents.newDevice)
  onNewDevice(event: NewDeviceEvent): void {
    this.logger.log(`To user ${event.userId}:\n${newDeviceEmail(event, PUBLIC_URL)}`);
  }

  /** "No, this wasn't me": the device is signed out; the user is told to change the password at the next sign-in. */
  @OnEvent(UserSessionsEvents.deviceReported)
  async onDeviceReported(event: DeviceAnsweredEvent): Promise<void> {
    const device = [event.device ?? 'an unknown device', event.location].filter(Boolean).join(' · ');
    const notice =
      `You said a sign-in from ${device} was not you: we signed that device out. ` +
      'Someone may know your password: change it now.';
    this.logger.warn(`User ${event.userId}: ${notice}`);
    if (typeof event.userId === 'number') await this.users.setSecurityNotice(event.userId, notice);
  }
}

/** The alert's text, with its two links. */
export function newDeviceEmail(event: Pick<NewDeviceEvent, 'device' | 'location' | 'at' | 'answers'>, baseUrl: string): string {
  // In the fragment: browsers do not send it, so no server or proxy log records the token.
  const link = (token: string) => `${baseUrl}/devices/answer#token=${encodeURIComponent(token)}`;
  const device = [event.device ?? 'an unknown device', event.location].filter(Boolean).join(' · ');
  return [
    `New sign-in to your account from ${device}, on ${event.at.toUTCString()}.`,
    '',
    `Was this you? Yes: ${link(event.answers.confirmToken)}`,
    `              No, sign it out: ${link(event.answers.reportToken)}`,
    '',
    `The links work once, until ${event.answers.expiresAt.toUTCString()}.`,
  ].join('\n');
}
