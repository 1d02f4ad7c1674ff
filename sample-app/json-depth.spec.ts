import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { JsonDepthValidationPipe, MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.pipe.js';
import { LoginDto } from './auth/login.dto.js';

const nest = (depth: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { a: value };
  return value;
};

describe('JsonDepthValidationPipe', () => {
  it('counts levels of arrays and objects, whatever the depth, without recursion', () => {
    expect(nestsDeeperThan(undefined, 1)).toBe(false);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({ username: 'alice', password: 'x' }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [] }, 1)).toBe(true);
    expect(nestsDeeperThan(nest(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nest(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(nest(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });

  it('validates a shallow body and refuses a deep one with a 400 before class-transformer walks it', async () => {
    const pipe = new JsonDepthValidationPipe({ whitelist: true });
    const body = { type: 'body', metatype: LoginDto } as const;
    await expect(pipe.transform({ username: 'alice', password: 'x', extra: 1 }, body)).resolves.toEqual({ username: 'alice', password: 'x' });
    await expect(pipe.transform({ username: 'alice' }, body)).rejects.toThrow(BadRequestException);
    await expect(pipe.transform({ username: nest(100_000), password: 'x' }, body)).rejects.toThrow('The JSON body is nested deeper than 32 levels.');
    // Only bodies: a query or route parameter is never JSON.
    await expect(pipe.transform(nest(100), { type: 'query' })).resolves.toEqual(nest(100));
  });
});
