import { BadRequestException } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { JsonDepthMiddleware, MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.middleware.js';

const nest = (depth: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { a: value };
  return value;
};

describe('JsonDepthMiddleware', () => {
  it('counts levels of arrays and objects, whatever the depth, without recursion', () => {
    expect(nestsDeeperThan(undefined, 1)).toBe(false);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({ username: 'alice', password: 'x' }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [] }, 1)).toBe(true);
    expect(nestsDeeperThan(nest(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nest(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(nest(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });

  it('lets a shallow body through and refuses a deep one with a 400', () => {
    const middleware = new JsonDepthMiddleware();
    const next = vi.fn();
    middleware.use({ body: { username: 'alice', password: 'x' } }, {}, next);
    expect(next).toHaveBeenCalledTimes(1);
    expect(() => middleware.use({ body: nest(100_000) }, {}, next)).toThrow(BadRequestException);
    expect(next).toHaveBeenCalledTimes(1);
  });
});
