import { describe, expect, it } from 'vitest';
import { trustProxyFromEnv } from './trust-proxy.js';

describe('trustProxyFromEnv', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['true', true],
    ['false', false],
    ['1', 1],
    [' 2 ', 2],
    ['loopback', 'loopback'],
    ['10.0.0.0/8, 192.168.1.1', '10.0.0.0/8, 192.168.1.1'],
  ])('%j is %j', (value, expected) => {
    expect(trustProxyFromEnv(value)).toBe(expected);
  });
});
