import { describe, expect, it } from 'vitest';
import { fastifyTrustProxy, trustProxyFromEnv } from './trust-proxy.js';

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

describe('fastifyTrustProxy', () => {
  it('passes booleans and address lists as they are', () => {
    for (const value of [undefined, true, false, 'loopback', '10.0.0.0/8, 192.168.1.1']) {
      expect(fastifyTrustProxy(value)).toBe(value);
    }
  });

  it("makes a number of hops Express's function: that many addresses from the connection in are proxies", () => {
    const trust = fastifyTrustProxy(1) as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => trust('10.0.0.1', hop))).toEqual([true, false, false]);
    const none = fastifyTrustProxy(0) as (address: string, hop: number) => boolean;
    expect(none('10.0.0.1', 0)).toBe(false);
  });
});
