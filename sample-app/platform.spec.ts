import { describe, expect, it } from 'vitest';
import { platformFromEnv } from './platform.js';

describe('platformFromEnv', () => {
  it.each([
    [undefined, 'express'],
    ['', 'express'],
    ['express', 'express'],
    ['fastify', 'fastify'],
    [' Fastify ', 'fastify'],
  ])('%j is %s', (value, expected) => {
    expect(platformFromEnv(value)).toBe(expected);
  });

  it('refuses anything else, naming the choices', () => {
    expect(() => platformFromEnv('koa')).toThrow('PLATFORM must be "express" or "fastify", got "koa"');
  });
});
