import { describe, expect, it } from 'vitest';
import { parseUserId } from './user-id.js';

describe('parseUserId', () => {
  it.each([
    ['number', '42', 42],
    ['number', -7, -7],
    ['number', '1.5', null],
    ['number', '1e3', null],
    ['number', '99999999999999999', null],
    ['number', 'bob', null],
    ['uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['uuid', 'a0eebc99', null],
    ['string', 'alice', 'alice'],
    ['string', 7, '7'],
    ['string', '', null],
    ['string', 'x'.repeat(256), null],
    ['string', ['alice'], null],
  ] as const)('%s: %j → %j', (type, value, expected) => {
    expect(parseUserId(value, type)).toBe(expected);
  });
});
