import { Injectable, mixin, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { validationPipe } from '../json-depth.pipe.js';

/**
 * A guard that checks the request body as `dto` with the app's ValidationPipe (junk is a 400,
 * as on every route) and leaves the checked DTO as `request.body`. Guards run before pipes:
 * this one lets the guards after it (the sign-in throttler, Passport) read a checked body.
 *
 * @example @UseGuards(ValidBodyGuard(LoginDto), SignInThrottlerGuard, LocalAuthGuard)
 */
export function ValidBodyGuard(dto: Type): Type<CanActivate> {
  @Injectable()
  class ValidBody implements CanActivate {
    private readonly pipe = validationPipe();

    async canActivate(context: ExecutionContext): Promise<boolean> {
      const request = context.switchToHttp().getRequest<{ body: unknown }>();
      request.body = await this.pipe.transform(request.body, { type: 'body', metatype: dto });
      return true;
    }
  }
  return mixin(ValidBody);
}
