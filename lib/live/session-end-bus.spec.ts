import { describe, expect, it } from 'vitest';
import { EndMessages } from './session-end-bus.js';

describe('EndMessages', () => {
  it("reads another instance's ends, and skips its own", () => {
    const here = new EndMessages();
    const there = new EndMessages();
    const ended = { userId: 42, exceptSessionId: null };
    expect(here.decode(there.encode(ended))).toEqual(ended);
    expect(here.decode(there.encode({ sessionId: 'a'.repeat(64), userId: 'ada' }))).toEqual({ sessionId: 'a'.repeat(64), userId: 'ada' });
    expect(here.decode(here.encode(ended))).toBeNull();
  });

  it('ignores what is not an end: junk, other shapes, wrong types', () => {
    const here = new EndMessages();
    for (const text of ['', 'null', '42', '{', '{"from":"x"}', '{"from":"x","ended":{"userId":{}}}', '{"from":"x","ended":{"userId":"a"}}', '{"from":"x","ended":{"sessionId":7}}']) {
      expect(here.decode(text)).toBeNull();
    }
  });
});
