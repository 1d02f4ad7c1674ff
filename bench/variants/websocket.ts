/**
 * A WebSocket gateway (`ws` through @nestjs/platform-ws) on the module, the same message with
 * and without the session layer:
 *
 * - `module-websocket`: the connection's session loaded at the handshake
 *   (`LiveSessionsService.connect()`), `UserSessionsGuard` on every message (which also records
 *   activity), answered with `@CurrentUserId()`: no SQL per message. This is what
 *   docs/websockets.md sets up (`UserSessionsInterceptor` is for gateways without the guard);
 * - `websocket-bare`: the same gateway without them, answering a constant.
 */
import type { IncomingMessage } from 'node:http';
import { Module, UseGuards } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket } from 'ws';
import { DataSource } from 'typeorm';
import { CurrentUserId, LiveSessionsService, Session, UNAUTHENTICATED_CLOSE_CODE, UserSessionsGuard, UserSessionsEntities, UserSessionsModule } from '../../lib/index.js';
import type { BenchDatabase, VariantName } from '../protocol.js';
import { BenchAppModule, createApp, journalNote, typeOrm, userIdFor, type StartedVariant, type VariantOptions } from './common.js';
import { signIn } from './module.js';

/** What both gateways count: the messages they answered. */
abstract class CountingGateway {
  answered = 0;
}

@WebSocketGateway({ path: '/ws' })
@UseGuards(UserSessionsGuard)
class GuardedGateway extends CountingGateway implements OnGatewayConnection {
  constructor(private readonly liveSessions: LiveSessionsService) {
    super();
  }

  async handleConnection(client: WebSocket, request: IncomingMessage): Promise<void> {
    await this.liveSessions.connect(client, request);
  }

  @SubscribeMessage('whoami')
  whoami(@CurrentUserId() userId: string) {
    this.answered++;
    return { event: 'me', data: userId };
  }
}

@WebSocketGateway({ path: '/ws' })
class OpenGateway extends CountingGateway {
  @SubscribeMessage('whoami')
  whoami() {
    this.answered++;
    return { event: 'me', data: 'websocket-bare' };
  }
}

export async function startWebSocket(variant: VariantName, database: BenchDatabase, { sessions }: VariantOptions): Promise<StartedVariant> {
  const guarded = variant === 'module-websocket';
  const Gateway = guarded ? GuardedGateway : OpenGateway;
  @Module({ providers: [Gateway] })
  class GatewayModule {}
  const app = await createApp({ module: BenchAppModule, imports: [typeOrm(database, [...UserSessionsEntities]), UserSessionsModule.forRoot({}), GatewayModule] });
  app.useWebSocketAdapter(new WsAdapter(app));
  const userIds = Array.from({ length: sessions }, (_, index) => userIdFor(variant, index));
  const cookies = await signIn(app, sessions, (index) => userIds[index]);
  await app.listen(0, '127.0.0.1');
  const gateway = app.get<CountingGateway>(Gateway);
  return {
    app,
    dataSource: app.get(DataSource),
    messagesAnswered: () => gateway.answered,
    ready: {
      route: { method: 'WS', path: '/ws', body: JSON.stringify({ event: 'whoami', data: {} }) },
      cookies,
      expectBody: JSON.stringify({ event: 'me', data: guarded ? userIds[0] : 'websocket-bare' }),
      bodyContains: guarded ? `"data":"${variant}-user-` : '"data":"websocket-bare"',
      anonymousStatus: guarded ? UNAUTHENTICATED_CLOSE_CODE : null,
      notes: `ws gateway, one message answered per round trip, ${guarded ? 'session loaded at the handshake, UserSessionsGuard, @CurrentUserId()' : 'no session layer on the gateway'}; UserSessionsModule.forRoot() in both${journalNote(database)}`,
    },
  };
}
