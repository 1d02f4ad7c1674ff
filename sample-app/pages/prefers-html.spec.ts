import express from 'express';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefersHtml } from './prefers-html.js';

/** Express's own answer: what the sample app's page middleware asked before Fastify. */
function expressPrefersHtml(accept: string | undefined): boolean {
  const request = { headers: accept === undefined ? {} : { accept } };
  const accepts = express.request.accepts as (this: unknown, types: string[]) => string | false;
  return accepts.call(request, ['application/json', 'text/html']) === 'text/html';
}

describe('prefersHtml', () => {
  it.each([
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8', true], // Chromium
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true], // Firefox, Safari
    ['text/html', true],
    ['application/json', false],
    [undefined, false],
    ['', false],
    ['*/*', false], // curl: a tie, and JSON is listed first
    ['application/json, text/html', false],
    ['text/html, application/json', true],
    ['text/html;q=0.5, application/json', false],
    ['text/*, application/*;q=0.9', true],
    ['text/html;level=1', false], // a parameter the page does not have
    ['text/html;q=0, */*', false],
    ['image/png', false],
  ])('%j: %s, as Express says', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
    expect(expressPrefersHtml(accept)).toBe(expected);
  });

  it('agrees with Express on any well-formed Accept header', () => {
    const range = fc.record({
      type: fc.constantFrom('text/html', 'application/json', 'text/*', 'application/*', '*/*', 'TEXT/HTML', 'image/webp', 'application/xml', 'text/plain'),
      q: fc.option(fc.constantFrom('1', '0', '0.5', '0.9', '0.8', '0.001', '1.0', '0.50')),
      param: fc.option(fc.constantFrom('charset=utf-8', 'level=1', 'v=*')),
    });
    const header = fc.array(range, { minLength: 1, maxLength: 6 }).map((ranges) =>
      ranges.map(({ type, q, param }) => [type, param, q === null ? null : `q=${q}`].filter((part) => part !== null).join(';')).join(', '),
    );
    fc.assert(fc.property(header, (accept) => prefersHtml(accept) === expressPrefersHtml(accept)), { numRuns: 2000 });
  });

  it('reads junk as no preference for the page, without throwing', () => {
    for (const accept of [';;;', ',,,', 'text/html;q=abc', 'text/html;q=1.1', '/', 'text/', '\u0000', 'x'.repeat(10_000)]) {
      expect(prefersHtml(accept)).toBe(false);
    }
  });
});
