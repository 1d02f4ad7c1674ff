import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { unsignExpressSessionCookie } from './express-session-cookie.js';

/** express-session's own signer (the `cookie-signature` copy it resolves), for real cookies. */
const { sign } = createRequire(createRequire(import.meta.url).resolve('express-session'))('cookie-signature') as {
  sign(value: string, secret: string): string;
};

/** The cookie value express-session sends: `s:` + signed id, URI-encoded by the `cookie` package. */
function expressSessionCookie(sid: string, secret: string): string {
  return encodeURIComponent(`s:${sign(sid, secret)}`);
}

describe('unsignExpressSessionCookie', () => {
  const sid = 'kZ0r3qW8c1uN4lP6yT2xB9vH5mJ7aE0s';

  it('reads the id from a cookie express-session signed', () => {
    const cookie = expressSessionCookie(sid, 'keyboard cat');
    expect(cookie).toMatch(/^s%3A/);
    expect(unsignExpressSessionCookie(cookie, ['keyboard cat'])).toBe(sid);
    // The same cookie, already decoded (a proxy or client that unescapes).
    expect(unsignExpressSessionCookie(decodeURIComponent(cookie), ['keyboard cat'])).toBe(sid);
  });

  it('accepts a cookie signed with any of the rotated secrets, and none other', () => {
    const secrets = ['newest', 'older', 'oldest'];
    for (const secret of secrets) {
      expect(unsignExpressSessionCookie(expressSessionCookie(sid, secret), secrets)).toBe(sid);
    }
    expect(unsignExpressSessionCookie(expressSessionCookie(sid, 'retired'), secrets)).toBeNull();
  });

  it('keeps ids that contain dots, as express-session does (the signature follows the last dot)', () => {
    expect(unsignExpressSessionCookie(expressSessionCookie('tenant.42.abc', 's3cret'), ['s3cret'])).toBe('tenant.42.abc');
  });

  it('refuses a tampered id or signature', () => {
    const signed = `s:${sign(sid, 's3cret')}`;
    const otherId = `s:X${signed.slice(3)}`;
    const dot = signed.lastIndexOf('.');
    const lastChar = signed.at(-1) === 'A' ? 'B' : 'A';
    const otherSignature = `${signed.slice(0, -1)}${lastChar}`;
    const padded = `${signed}=`;
    const truncated = signed.slice(0, -1);
    const noSignature = signed.slice(0, dot + 1);
    for (const value of [otherId, otherSignature, padded, truncated, noSignature]) {
      expect(unsignExpressSessionCookie(encodeURIComponent(value), ['s3cret'])).toBeNull();
    }
  });

  it('refuses a value without the "s:" prefix, even when correctly signed', () => {
    expect(unsignExpressSessionCookie(sign(sid, 's3cret'), ['s3cret'])).toBeNull();
    expect(unsignExpressSessionCookie(encodeURIComponent(`S:${sign(sid, 's3cret')}`), ['s3cret'])).toBeNull();
  });

  it('returns null for junk, never throws', () => {
    const junk = ['', 's:', 's:.', 's%3A.', 's:abc', '%', '%E0%A4%A', 's%3A%FF.%FE', '\u0000\uffff', 's:\ud800.x', 'A'.repeat(4096), `s:${'.'.repeat(100)}`];
    for (const value of junk) {
      expect(unsignExpressSessionCookie(value, ['s3cret'])).toBeNull();
    }
  });
});
