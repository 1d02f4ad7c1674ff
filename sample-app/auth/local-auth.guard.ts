import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

/**
 * Signs in as @nestjs/passport apps do: Passport's local strategy checks the credentials, then
 * `req.logIn()` stores the user in `req.session` (the module's `expressSessionApi`), which
 * signs the session in with a new key. The body is checked before, by `ValidBodyGuard(LoginDto)`.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    await super.logIn(context.switchToHttp().getRequest());
    return true;
  }
}
