import request from 'supertest';
import { UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachDatabaseAndPlatform } from './support/platforms.js';
import { sessionCookie, useTestApp } from './support/test-app.js';
import { UserSessionsGuard, type RequestSessionService, type UserSession } from '../lib/index.js';

// Code written for Passport reads request.user: the guard sets it.
describeEachDatabaseAndPlatform('request.user behind UserSessionsGuard', (kind, platform) => {
  const t = useTestApp(kind, {}, { platform });
  beforeEach(async () => {
    await t.sessions.clear();
    t.queries.reset();
  });

  it("is { id } of the signed-in user, at the read's one statement", async () => {
    const login = await request(t.url).post('/login').send({ userId: 'alice' }).expect(201);
    const key = sessionCookie(login.headers['set-cookie']);
    t.queries.reset();
    const response = await request(t.url).get('/me/user').set('Cookie', `sessionid=${key}`).expect(200);
    expect(response.body).toEqual({ user: { id: 'alice' } });
    expect(t.queries.sessionStatements()).toHaveLength(1);
  });

  it('is not set for a request the guard refuses', async () => {
    await request(t.url).get('/me/user').expect(401);
  });
});

/** A context whose HTTP request is `request`. */
function contextOf(request: object): ExecutionContext {
  return { getArgByIndex: () => request } as unknown as ExecutionContext;
}

function guardFor(session: Partial<UserSession>) {
  const requestSessions = { getSession: async () => session } as unknown as RequestSessionService;
  return { requestSessions, guard: new UserSessionsGuard(requestSessions) };
}

describe('UserSessionsGuard and request.user', () => {
  it('leaves a user another guard (Passport) set', async () => {
    const { guard } = guardFor({ isAuthenticated: true, userId: 7 });
    const request = { user: { id: 7, name: 'set by passport' } };
    await guard.canActivate(contextOf(request));
    expect(request.user).toEqual({ id: 7, name: 'set by passport' });
  });

  it("sets what an overridden user() loads, awaited, and nothing when it refuses", async () => {
    class AppUserGuard extends UserSessionsGuard {
      protected override async user(session: UserSession) {
        return { id: session.userId, name: 'Alice' };
      }
    }
    const { requestSessions } = guardFor({ isAuthenticated: true, userId: 1 });
    const request: { user?: unknown } = {};
    await new AppUserGuard(requestSessions).canActivate(contextOf(request));
    expect(request.user).toEqual({ id: 1, name: 'Alice' });

    const refused: { user?: unknown } = {};
    const { guard } = guardFor({ isAuthenticated: false, userId: null });
    await expect(guard.canActivate(contextOf(refused))).rejects.toThrow(UnauthorizedException);
    expect(refused).not.toHaveProperty('user');
  });
});
