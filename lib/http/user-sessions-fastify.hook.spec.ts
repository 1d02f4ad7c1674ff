import { Readable } from 'node:stream';
import type { HttpAdapterHost } from '@nestjs/core';
import { describe, expect, it, vi } from 'vitest';
import { UserSessionsFastifyHook } from './user-sessions-fastify.hook.js';
import type { RequestSessionService } from './request-session.service.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';

type OnSend = (request: object, reply: FakeReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => void;

class FakeReply {
  statusCode = 201;
  headers: Record<string, unknown> = { 'content-type': 'application/json', 'set-cookie': ['theme=dark'], vary: 'Accept' };
  code(status: number) {
    this.statusCode = status;
    return this;
  }
  header(name: string, value: unknown) {
    this.headers[name] = value;
    return this;
  }
  getHeaders() {
    return { ...this.headers };
  }
  removeHeader(name: string) {
    delete this.headers[name];
    return this;
  }
}

function hookOn(type: string | undefined, requests: Partial<RequestSessionService>): { onSend: OnSend | undefined; addHook: ReturnType<typeof vi.fn> } {
  let onSend: OnSend | undefined;
  const addHook = vi.fn((_name: string, hook: OnSend) => {
    onSend = hook;
  });
  const adapterHost = { httpAdapter: type === undefined ? undefined : { getType: () => type, getInstance: () => ({ addHook }) } };
  new UserSessionsFastifyHook(requests as RequestSessionService, adapterHost as unknown as HttpAdapterHost).onModuleInit();
  return { onSend, addHook };
}

describe('UserSessionsFastifyHook', () => {
  it('adds its onSend hook on Fastify only: not on Express, nor in an application context without HTTP', () => {
    expect(hookOn(undefined, {}).addHook).not.toHaveBeenCalled();
    expect(hookOn('express', {}).addHook).not.toHaveBeenCalled();
    expect(() => new UserSessionsFastifyHook({} as RequestSessionService).onModuleInit()).not.toThrow();
    const { addHook } = hookOn('fastify', {});
    expect(addHook).toHaveBeenCalledWith('onSend', expect.any(Function));
  });

  it('with nothing to write, sets the cookie and sends the payload at once', () => {
    const requests = { commitWithoutWriting: vi.fn(() => true), commit: vi.fn() };
    const { onSend } = hookOn('fastify', requests);
    const reply = new FakeReply();
    const done = vi.fn();
    onSend!({}, reply, '{"ok":true}', done);
    expect(requests.commitWithoutWriting).toHaveBeenCalledWith({}, reply, 201);
    expect(requests.commit).not.toHaveBeenCalled();
    expect(done).toHaveBeenCalledWith(null, '{"ok":true}');
  });

  it('answers 503 in place of the reply when the commit finds the database down, and closes the payload stream', async () => {
    const requests = {
      commitWithoutWriting: vi.fn(() => false),
      commit: vi.fn(() => Promise.reject(new SessionStoreUnavailableException(new Error('ECONNREFUSED')))),
    };
    const { onSend } = hookOn('fastify', requests);
    const reply = new FakeReply();
    const payload = Readable.from(['a', 'b']);
    const sent = new Promise<unknown[]>((resolve) => onSend!({}, reply, payload, (...args) => resolve(args)));
    expect(await sent).toEqual([null, JSON.stringify({ statusCode: 503, message: 'The session store is unavailable; please retry shortly.' })]);
    expect(reply.statusCode).toBe(503);
    expect(reply.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
    expect(payload.destroyed).toBe(true);
  });
});
