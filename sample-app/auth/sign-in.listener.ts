import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { UserSessionsEvents, type SessionTheftDevice, type SessionTheftSuspectedEvent, type UserSignedInEvent } from '../../lib/index.js';
import { UsersService } from '../users/users.service.js';

/**
 * "New sign-in from Chrome on Windows · London, United Kingdom": the sign-in event, as an app
 * would put it in an e-mail to the user. Here it is only logged.
 */
@Injectable()
export class SignInListener {
  private readonly logger = new Logger('SignIns');

  @OnEvent(UserSessionsEvents.signedIn)
  onSignIn(event: UserSignedInEvent): void {
    this.logger.log(describeSignIn(event));
  }
}

/** "New sign-in from …" when the device is new to the user, else "Sign-in from …". */
export function describeSignIn(event: Pick<UserSignedInEvent, 'device' | 'location' | 'newDevice'>): string {
  const from = [event.device ?? 'an unknown device', event.location].filter(Boolean).join(' · ');
  return `${event.newDevice ? 'New sign-in' : 'Sign-in'} from ${from}`;
}

/**
 * A stolen cookie: the store ended the session. The user is told at their next sign-in (the
 * notice is kept on their row, and `POST /auth/login` answers it once), as an app would also
 * e-mail them and suggest a new password.
 */
@Injectable()
export class TheftListener {
  private readonly logger = new Logger('SignIns');

  constructor(private readonly users: UsersService) {}

  @OnEvent(UserSessionsEvents.theftSuspected)
  async onTheftSuspected(event: SessionTheftSuspectedEvent): Promise<void> {
    const notice = describeTheft(event);
    this.logger.warn(`User ${event.userId}: ${notice}`);
    if (typeof event.userId === 'number') await this.users.setSecurityNotice(event.userId, notice);
  }
}

/** "One of your sessions was used from two devices…", naming both. */
export function describeTheft(event: Pick<SessionTheftSuspectedEvent, 'currentKeyDevice' | 'previousKeyDevice' | 'at'>): string {
  const device = (seen: SessionTheftDevice) => [seen.device ?? 'an unknown device', seen.location].filter(Boolean).join(' · ');
  return (
    `On ${event.at.toUTCString()} we signed you out of a session whose cookie was used from two devices: ` +
    `${device(event.currentKeyDevice)}, and ${device(event.previousKeyDevice)}. ` +
    'If one of them was not you, change your password.'
  );
}
