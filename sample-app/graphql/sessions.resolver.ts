import { BadRequestException, Inject, UseGuards } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import {
  CurrentSession,
  isRecentLogin,
  ReauthenticationRequiredException,
  RequireRecentLogin,
  SessionDetailsService,
  SessionStoreService,
  USER_SESSIONS_MODULE_OPTIONS,
  UserSession,
  UserSessionsGuard,
  type ResolvedUserSessionsOptions,
} from '../../lib/index.js';
import { SessionModel } from './session.model.js';

const SESSION_ID = /^[0-9a-f]{64}$/;

/**
 * "Active sessions" in GraphQL, with the rules of the REST routes (`/account/sessions`): the
 * same guard, and the same "confirm your password" before ending other sessions.
 */
@Resolver(() => SessionModel)
@UseGuards(UserSessionsGuard)
export class SessionsResolver {
  constructor(
    private readonly store: SessionStoreService,
    private readonly details: SessionDetailsService,
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
  ) {}

  @Query(() => [SessionModel], { description: 'Your unexpired sessions, most recent activity first.' })
  async sessions(@CurrentSession() session: UserSession): Promise<SessionModel[]> {
    const sessions = await this.store.listActive(session.userId!);
    return sessions.map((active) => {
      const { device, location } = this.details.describe(active);
      return { id: active.id, device, location, ip: active.ip, lastActivity: active.lastActivity, current: active.id === session.id };
    });
  }

  @Mutation(() => Boolean, { description: "Ends one of your sessions (this one signs you out); false for an id that is not one of yours." })
  async endSession(@Args('id', { type: () => ID }) id: string, @CurrentSession() session: UserSession): Promise<boolean> {
    if (!SESSION_ID.test(id)) throw new BadRequestException('id must be a session id: 64 lower-case hex digits');
    if (id === session.id) {
      await this.store.logout(session);
      return true;
    }
    const maxAge = this.options.requireRecentLogin?.endSession;
    if (maxAge !== undefined && !isRecentLogin(session, maxAge)) throw new ReauthenticationRequiredException();
    return this.store.deleteForUser(session.userId!, id, { actor: session });
  }

  @Mutation(() => Int, { description: 'Signs you out on every other device; how many sessions ended.' })
  @RequireRecentLogin('endOtherSessions')
  endOtherSessions(@CurrentSession() session: UserSession): Promise<number> {
    return this.store.deleteOthers(session.userId!, session);
  }
}
