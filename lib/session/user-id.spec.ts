import { describe, expect, it } from 'vitest';
import { normalizeUserId, parseUserId } from './user-id.js';

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
    // PostgreSQL refuses NUL in text; a lone surrogate would be stored as U+FFFD.
    ['string', 'a\u0000b', null],
    ['string', 'a\ud800', null],
    ['string', '\udc00', null],
    ['string', 'é😀', 'é😀'],
  ] as const)('%s: %j → %j', (type, value, expected) => {
    expect(parseUserId(value, type)).toBe(expected);
  });
});

describe('normalizeUserId', () => {
  it('names the id and the fix in a short message, whatever the app passed', () => {
    expect(() => normalizeUserId('a\u0000b', 'string')).toThrow(
      `User id "a\\u0000b" does not fit userIdType 'string' (a string of 1 to 255 characters, without NUL or lone surrogates); set the userIdType option to the type of your user ids.`,
    );
    let deep: unknown = 1;
    for (let depth = 0; depth < 100_000; depth++) deep = [deep];
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [unknown, string][] = [
      ['x'.repeat(100_000), `"${'x'.repeat(40)}…"`],
      [deep, 'an array'],
      [circular, 'an object'],
      [10n, '10'],
      [() => 'alice', 'a function'],
      [undefined, 'undefined'],
    ];
    for (const [value, shown] of cases) {
      expect(() => normalizeUserId(value, 'string')).toThrow(new TypeError(
        `User id ${shown} does not fit userIdType 'string' (a string of 1 to 255 characters, without NUL or lone surrogates); set the userIdType option to the type of your user ids.`,
      ));
    }
  });
});
