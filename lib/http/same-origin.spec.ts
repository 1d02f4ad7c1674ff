import { describe, expect, it } from 'vitest';
import { isCrossOriginRefused } from './same-origin.js';

const options = { checkOrigin: true, trustedOrigins: ['https://app.example.com'] };
const post = (headers: Record<string, string>, extra: { host?: string; hostname?: string; protocol?: string } = {}) => ({
  method: 'POST',
  headers,
  ...extra,
});

describe('isCrossOriginRefused', () => {
  it('lets safe methods and requests that name no origin through', () => {
    expect(isCrossOriginRefused({ method: 'GET', headers: { origin: 'https://evil.example' } }, options)).toBe(false);
    expect(isCrossOriginRefused(post({ host: 'shop.example' }), options)).toBe(false);
  });

  it('compares host and port, with the default port of each scheme', () => {
    expect(isCrossOriginRefused(post({ origin: 'https://shop.example' }, { host: 'shop.example', protocol: 'https' }), options)).toBe(false);
    expect(isCrossOriginRefused(post({ origin: 'https://shop.example:443' }, { host: 'shop.example', protocol: 'https' }), options)).toBe(false);
    expect(isCrossOriginRefused(post({ origin: 'http://[::1]:3000' }, { host: '[::1]:3000' }), options)).toBe(false);
    expect(isCrossOriginRefused(post({ origin: 'https://shop.example:8443' }, { host: 'shop.example', protocol: 'https' }), options)).toBe(true);
    expect(isCrossOriginRefused(post({ origin: 'https://shop.example.evil.test', host: 'shop.example' }), options)).toBe(true);
  });

  it('compares schemes too, through their default ports: HTTPS pages against a plain HTTP request fail closed', () => {
    expect(isCrossOriginRefused(post({ origin: 'https://shop.example' }, { host: 'shop.example', protocol: 'http' }), options)).toBe(true);
    expect(isCrossOriginRefused(post({ origin: 'http://shop.example' }, { host: 'shop.example', protocol: 'https' }), options)).toBe(true);
    expect(isCrossOriginRefused(post({ origin: 'http://shop.example' }, { host: 'shop.example', protocol: 'http' }), options)).toBe(false);
  });

  it('refuses null, junk and non-web schemes; trusts the configured origins', () => {
    for (const origin of ['null', 'not a url', 'file:///etc/passwd', 'chrome-extension://abc']) {
      expect(isCrossOriginRefused(post({ origin, host: 'shop.example' }), options)).toBe(true);
    }
    expect(isCrossOriginRefused(post({ origin: 'https://APP.example.com', host: 'shop.example' }), options)).toBe(false);
    expect(isCrossOriginRefused(post({ referer: 'https://evil.example/form', host: 'shop.example' }), options)).toBe(true);
  });

  it("on Fastify's Node.js request, takes the port from the header Fastify read the hostname from", () => {
    // Behind a trusted proxy: Fastify's hostname is X-Forwarded-Host's (its last entry).
    const proxied = { 'x-forwarded-host': 'evil.example, shop.example:8443', host: '127.0.0.1:3000' };
    const fromProxy = { hostname: 'shop.example', protocol: 'https' };
    expect(isCrossOriginRefused(post({ ...proxied, origin: 'https://shop.example:8443' }), options)).toBe(true); // no hostname: Host
    expect(isCrossOriginRefused(post({ ...proxied, origin: 'https://shop.example:8443' }, fromProxy), options)).toBe(false);
    expect(isCrossOriginRefused(post({ ...proxied, origin: 'https://shop.example' }, fromProxy), options)).toBe(true);
    expect(isCrossOriginRefused(post({ ...proxied, origin: 'https://evil.example' }, fromProxy), options)).toBe(true);
    // No trusted proxy: Fastify's hostname is the Host header's, which the foreign header does not name.
    const direct = { hostname: '127.0.0.1', protocol: 'http' };
    expect(isCrossOriginRefused(post({ ...proxied, origin: 'http://127.0.0.1:3000' }, direct), options)).toBe(false);
    expect(isCrossOriginRefused(post({ ...proxied, origin: 'https://shop.example:8443' }, direct), options)).toBe(true);
  });

  it('does nothing when checkOrigin is off', () => {
    expect(isCrossOriginRefused(post({ origin: 'https://evil.example', host: 'shop.example' }), { checkOrigin: false, trustedOrigins: [] })).toBe(false);
  });
});
