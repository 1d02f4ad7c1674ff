import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { requestOf } from './context-request.js';

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
});
