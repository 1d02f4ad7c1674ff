import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { validationPipe } from '../json-depth.pipe.js';
import { LoginDto } from './login.dto.js';

/**
 * Signs in as @nestjs/passport apps do: Passport's local strategy checks the credentials, then
 * `req.logIn()` stores the user in `req.session` (the module's `expressSessionApi`), which
 * signs the session in with a new key.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  private readonly body = validationPipe();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ body: unknown; logIn: Function }>();
    // Guards run before pipes: junk is checked here, a 400 as on every route, not Passport's 401.
    request.body = await this.body.transform(request.body, { type: 'body', metatype: LoginDto });
    await super.canActivate(context);
    await super.logIn(request);
    return true;
  }
}
