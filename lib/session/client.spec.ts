import { describe, expect, it } from 'vitest';
import { normalizeIp, normalizeUserAgent, truncateIp } from './client.js';

describe('normalizeIp', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['2001:DB8::8a2e:370:7334', '2001:db8::8a2e:370:7334'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['localhost', null],
    ['', null],
    [undefined, null],
    [42, null],
    ['1'.repeat(100), null],
    ['127.0.0.1, 10.0.0.1', null],
  ])('%s → %s', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });
});

describe('normalizeUserAgent', () => {
  it('cuts to 200 characters without splitting a character', () => {
    expect(normalizeUserAgent('a'.repeat(400))).toBe('a'.repeat(200));
    const emoji = '😀'.repeat(300);
    expect(Array.from(normalizeUserAgent(emoji)!)).toHaveLength(200);
  });

  it('drops control characters; empty or missing is null', () => {
    expect(normalizeUserAgent('Mozilla\u0000/5.0\n')).toBe('Mozilla/5.0');
    expect(normalizeUserAgent('')).toBeNull();
    expect(normalizeUserAgent('\u0001\u0002')).toBeNull();
    expect(normalizeUserAgent(undefined)).toBeNull();
    expect(normalizeUserAgent(['a'])).toBeNull();
  });
});

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['10.1.2.3', '10.1.2.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:0db8:0000:0001::1', '2001:db8:0::'],
    ['2001:db8::8a2e:370:7334', '2001:db8:0::'],
    ['2a00:1450:4009:81e::200e', '2a00:1450:4009::'],
    ['::1', '0:0:0::'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0::'],
    ['::ffff:0:192.0.2.33', '0:0:0::'],
  ])('%s → %s', (input, expected) => {
    expect(truncateIp(input)).toBe(expected);
  });

  it('keeps the result a valid address of the same family', () => {
    for (const ip of ['2001:db8:1:2:3:4:5:6', '198.51.100.200', 'fe80::1']) {
      expect(normalizeIp(truncateIp(ip))).not.toBeNull();
    }
  });
});

