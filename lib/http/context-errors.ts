import { UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { ReauthenticationRequiredException } from '../exceptions/reauthentication-required.exception.js';

/** What a WebSocket client gets in Nest's `exception` message when the module refuses one of its messages. */
export interface WsRefusal {
  status: 'error';
  message: string;
  /** The GraphQL code of the same refusal. */
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  reauthenticate?: true;
}

/**
 * A signed-out request's refusal, in its context's shape: 401 on HTTP (`UNAUTHENTICATED` in
 * GraphQL, which @nestjs/apollo maps from it); in a gateway, a `WsException` whose `exception`
 * message says `code: 'UNAUTHENTICATED'`.
 */
export async function unauthenticated(context: ExecutionContext, message = 'Sign in to continue.'): Promise<Error> {
  if (context.getType?.<string>() === 'ws') return wsException({ status: 'error', message, code: 'UNAUTHENTICATED' });
  return new UnauthorizedException(message);
}

/** "Sudo mode" refused: 403 `ReauthenticationRequiredException` (`FORBIDDEN` in GraphQL), or its WebSocket shape. */
export async function reauthenticationRequired(context: ExecutionContext): Promise<Error> {
  if (context.getType?.<string>() === 'ws') {
    return wsException({ status: 'error', message: 'Re-authentication required', code: 'FORBIDDEN', reauthenticate: true });
  }
  return new ReauthenticationRequiredException();
}

/** @nestjs/websockets is an optional peer: only a gateway's context gets here, and a gateway's app has it. */
async function wsException(refusal: WsRefusal): Promise<Error> {
  const { WsException } = await import('@nestjs/websockets');
  return new WsException(refusal);
}
