import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { keepHandshake, liveSocketOf, requestOf } from './context-request.js';

function contextOf(type: string, args: unknown[]): ExecutionContext {
  return { getType: () => type, getArgByIndex: (index: number) => args[index] } as unknown as ExecutionContext;
}

describe('requestOf()', () => {
  it('on an HTTP route: the first argument', () => {
    const request = { headers: {} };
    expect(requestOf(contextOf('http', [request, {}]))).toBe(request);
  });

  it("a hand-made context without getType() (an app's unit test): the first argument", () => {
    const request = { headers: {} };
    const context = { getArgByIndex: (index: number) => [request][index] } as unknown as ExecutionContext;
    expect(requestOf(context)).toBe(request);
  });

  it('in a GraphQL resolver: the req of the GraphQL context (the third argument), not the parent value', () => {
    const request = { headers: {} };
    expect(requestOf(contextOf('graphql', [{ parent: true }, {}, { req: request }, {}]))).toBe(request);
  });

  it("in a GraphQL resolver whose context names it request: the context's request", () => {
    const request = { headers: {} };
    expect(requestOf(contextOf('graphql', [undefined, {}, { request }, {}]))).toBe(request);
  });

  it('a GraphQL context without the request: an error that says how to keep it', () => {
    expect(() => requestOf(contextOf('graphql', [undefined, {}, { user: 1 }, {}]))).toThrow(/context: \(\{ req \}\) => \(\{ req \}\)/);
  });

  it("in a socket.io gateway: the client, and its handshake's request", () => {
    const handshake = { headers: { cookie: 'sessionid=x' } };
    const client = { handshake: {}, request: handshake, disconnect: () => undefined };
    expect(requestOf(contextOf('ws', [client, {}]))).toBe(client);
    expect(liveSocketOf(contextOf('ws', [client, {}]))).toEqual({ socket: client, request: handshake });
  });

  it('in a ws gateway: the client, and the handshake request kept at the connection (or none)', () => {
    const client = { readyState: 1, close: () => undefined };
    expect(liveSocketOf(contextOf('ws', [client, {}]))).toEqual({ socket: client, request: undefined });
    const handshake = { headers: {} };
    keepHandshake(client, handshake as never);
    expect(requestOf(contextOf('ws', [client, {}]))).toBe(client);
    expect(liveSocketOf(contextOf('ws', [client, {}]))).toEqual({ socket: client, request: handshake });
  });

  it("in a graphql-ws subscription: the connection's socket and handshake, from @nestjs/apollo's default context or the app's own", () => {
    const extra = { socket: { readyState: 1 }, request: { headers: {} } };
    expect(requestOf(contextOf('graphql', [undefined, {}, { req: { connectionParams: {}, extra } }, {}]))).toBe(extra.socket);
    expect(requestOf(contextOf('graphql', [undefined, {}, { extra }, {}]))).toBe(extra.socket);
    expect(liveSocketOf(contextOf('graphql', [undefined, {}, { req: { extra } }, {}]))).toEqual(extra);
  });

  it('on HTTP, and in a GraphQL query over HTTP: no live socket', () => {
    expect(liveSocketOf(contextOf('http', [{ headers: {} }, {}]))).toBeNull();
    expect(liveSocketOf(contextOf('graphql', [undefined, {}, { req: { headers: {} } }, {}]))).toBeNull();
  });
});
