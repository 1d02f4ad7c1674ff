import { describe, expect, it } from 'vitest';
import { findHandle, keepHandle, RequestSessionHandle, type SessionLoader } from './request-session-handle.js';
import type { UserSession } from '../session/user-session.js';

/** A loader that fails its first `failures` loads, then loads `session`; it counts its calls. */
function loader(failures: number, session: UserSession) {
  const calls = { count: 0 };
  const load: SessionLoader = {
    async loadSession() {
      calls.count++;
      if (calls.count <= failures) throw new Error('database down');
      return session;
    },
  };
  return { load, calls };
}

const SESSION = { userId: 'alice' } as unknown as UserSession;

describe('RequestSessionHandle', () => {
  it('loads once for every caller of the request', async () => {
    const { load, calls } = loader(0, SESSION);
    const handle = new RequestSessionHandle('k', null, null, null, {}, load);
    const [a, b] = await Promise.all([handle.load(), handle.load()]);
    expect([a, b, await handle.load()]).toEqual([SESSION, SESSION, SESSION]);
    expect(handle.session).toBe(SESSION);
    expect(calls.count).toBe(1);
  });

  it('loads again after a failed load (the database was down)', async () => {
    const { load, calls } = loader(1, SESSION);
    const handle = new RequestSessionHandle('k', null, null, null, {}, load);
    await expect(handle.load()).rejects.toThrow('database down');
    await expect(handle.load()).resolves.toBe(SESSION);
    expect(calls.count).toBe(2);
  });

  it('reads the protocol only when asked whether the request is secure', () => {
    let reads = 0;
    const request = {
      get protocol() {
        reads++;
        return 'https';
      },
    };
    const handle = new RequestSessionHandle(null, null, null, null, request, loader(0, SESSION).load);
    expect(reads).toBe(0);
    expect([handle.secure, handle.secure]).toEqual([true, true]);
    expect(reads).toBe(1);
  });
});

describe('findHandle / keepHandle', () => {
  it("finds a handle kept on Node's request from Fastify's request, which carries it as raw", () => {
    const raw = {};
    const handle = new RequestSessionHandle(null, null, null, null, {}, loader(0, SESSION).load);
    keepHandle(raw, handle);
    expect(findHandle(raw)).toBe(handle);
    expect(findHandle({ raw })).toBe(handle);
    expect(findHandle({})).toBeUndefined();
  });
});
