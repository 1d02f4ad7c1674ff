import type { IncomingMessage } from 'node:http';
import { OnEvent } from '@nestjs/event-emitter';
import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { LiveSessionsService, UserSessionsEvents, type SessionEndedEvent, type DeviceAnsweredEvent, type UserSignedInEvent, type UserId } from '../../lib/index.js';

/**
 * The live "Active sessions" page: its WebSocket (ws, at /account/sessions/live) is told
 * `{"event":"sessions-changed"}` when one of the user's sessions starts or ends, and the page
 * reloads its list. A page whose own session ends is closed by the module (code 4401) and shows
 * the sign-in form. The events are this instance's: an app of several instances would relay
 * them (Redis pub/sub, say) as the module does for ended sessions.
 */
@WebSocketGateway({ path: '/account/sessions/live' })
export class SessionsGateway implements OnGatewayConnection {
  private readonly pages = new Map<string, Set<WebSocket>>();

  constructor(private readonly liveSessions: LiveSessionsService) {}

  async handleConnection(client: WebSocket, request: IncomingMessage): Promise<void> {
    // Signed out: closed with 4401. Otherwise kept, and closed when the session ends.
    const session = await this.liveSessions.connect(client, request);
    if (!session) return;
    const user = String(session.userId);
    let pages = this.pages.get(user);
    if (!pages) this.pages.set(user, (pages = new Set()));
    pages.add(client);
    client.once('close', () => {
      pages.delete(client);
      if (pages.size === 0) this.pages.delete(user);
    });
  }

  @OnEvent(UserSessionsEvents.signedIn)
  onSignIn(event: UserSignedInEvent): void {
    this.tell(event.userId);
  }

  @OnEvent(UserSessionsEvents.ended)
  onEnd(event: SessionEndedEvent): void {
    if (event.userId !== null) this.tell(event.userId);
  }

  /** A device answered "Was this you?": the page's "Your devices" changed. */
  @OnEvent(UserSessionsEvents.deviceTrusted)
  @OnEvent(UserSessionsEvents.deviceReported)
  onDeviceAnswered(event: DeviceAnsweredEvent): void {
    this.tell(event.userId);
  }

  private tell(userId: UserId): void {
    for (const page of this.pages.get(String(userId)) ?? []) {
      if (page.readyState === page.OPEN) page.send(JSON.stringify({ event: 'sessions-changed' }));
    }
  }
}
