import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { UserSessionsEvents, type UserSignedInEvent } from '../../lib/index.js';

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
