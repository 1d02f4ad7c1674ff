import { describe, expect, it } from 'vitest';
import { requestIp } from './client-info.js';

describe('requestIp', () => {
  /** A request whose `ip` is worked out on each read, as Express's is (counted here). */
  function expressLike(headers: Record<string, string>, computedIp: string, remoteAddress = '10.0.0.9') {
    const reads = { ip: 0 };
    const prototype = {
      get ip() {
        reads.ip++;
        return computedIp;
      },
    };
    const request = Object.assign(Object.create(prototype) as object, { headers, socket: { remoteAddress } });
    return { request: request as { headers: Record<string, string>; socket: { remoteAddress: string } }, reads };
  }

  it("takes the platform's ip when X-Forwarded-For is there (trust proxy may pick an address from it)", () => {
    const { request, reads } = expressLike({ 'x-forwarded-for': '203.0.113.7' }, '203.0.113.7');
    expect(requestIp(request)).toBe('203.0.113.7');
    expect(reads.ip).toBe(1);
  });

  it("reads the socket's address without X-Forwarded-For, where every trust setting gives that", () => {
    const { request, reads } = expressLike({}, '10.0.0.9');
    expect(requestIp(request)).toBe('10.0.0.9');
    expect(reads.ip).toBe(0);
  });

  it('takes an ip set on the request itself (by @fastify/middie, or the app)', () => {
    expect(requestIp({ headers: {}, ip: '198.51.100.4', socket: { remoteAddress: '127.0.0.1' } })).toBe('198.51.100.4');
  });

  it('falls back to ip without a socket', () => {
    expect(requestIp({ headers: {}, ip: '198.51.100.4' })).toBe('198.51.100.4');
    expect(requestIp({ headers: {} })).toBeUndefined();
  });
});
