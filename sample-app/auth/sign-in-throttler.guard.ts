import { HttpException, HttpStatus, Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { ACCOUNT_THROTTLERS } from './sign-in-limits.js';

/**
 * Throttles password attempts (`SIGN_IN_LIMITS`) per client IP and per account. Put it after
 * the guard that validates the body and before the password check, so that a flood is refused
 * before it costs any scrypt. The route says whose account it tries with `@ThrottleAccount()`
 * (without it, the account limits would count per IP). The IP is `request.ip` (Express's
 * `trust proxy`, Fastify's `trustProxy`); IPv6 addresses count per /64, as one host usually
 * has a whole /64.
 */
@Injectable()
export class SignInThrottlerGuard extends ThrottlerGuard {
  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    // The IP's limits first: a request refused for its IP counts against no account, so one
    // blocked address cannot go on locking accounts out.
    const perAccount = (name = '') => ACCOUNT_THROTTLERS.includes(name);
    this.throttlers.sort((first, second) => Number(perAccount(first.name)) - Number(perAccount(second.name)));
  }

  /**
   * 429 in Nest's error shape, with `Retry-After` in seconds. (The throttler's own header is named
   * after the throttler, `Retry-After-ip-minute`, which no client reads.)
   */
  protected override async throwThrottlingException(context: ExecutionContext, { timeToBlockExpire }: ThrottlerLimitDetail): Promise<void> {
    this.setResponseHeader(context.switchToHttp().getResponse(), 'Retry-After', timeToBlockExpire);
    const message = `Too many attempts. Try again in ${describeWait(timeToBlockExpire)}.`;
    throw new HttpException(HttpException.createBody(message, 'Too Many Requests', HttpStatus.TOO_MANY_REQUESTS), HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** "45 seconds" up to a minute, then whole minutes rounded up: "60 minutes". */
function describeWait(seconds: number): string {
  if (seconds <= 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
