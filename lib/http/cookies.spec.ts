import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendHeader, readCookies, serializeCookie } from './cookies.js';

/** The plain way to read a Cookie header: every pair cut out, trimmed and compared. */
function readCookiesBySplitting(text: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of text.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    let value = pair.slice(separator + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

describe('readCookies', () => {
  it('finds every value of the name, in order, and nothing else', () => {
    expect(readCookies('a=1; sessionid=x; b=2; sessionid="y"', 'sessionid')).toEqual(['x', 'y']);
    expect(readCookies(['sessionid=x', 'sessionid=z'], 'sessionid')).toEqual(['x', 'z']);
    expect(readCookies('xsessionid=1; sessionidx=2', 'sessionid')).toEqual([]);
    expect(readCookies(undefined, 'sessionid')).toEqual([]);
    expect(readCookies(';;=;sessionid', 'sessionid')).toEqual([]);
  });

  it('reads any header as splitting it pair by pair would', () => {
    // Headers made of the pieces that matter: the name, look-alikes, separators, spaces, quotes.
    const piece = fc.constantFrom('sessionid', 'sid', 'sessionidx', 'xsessionid', '=', ';', ' ', '\t', '"', 'a', '1', 'sessionid=', '; ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join('')), fc.constantFrom('sessionid', 'sid'), (header, name) => {
        expect(readCookies(header, name)).toEqual(readCookiesBySplitting(header, name));
      }),
      { numRuns: 5000 },
    );
  });

  it('finds nothing for an empty name', () => {
    expect(readCookies('=x; a=1', '')).toEqual([]);
  });

  it('finds the cookie in a long header, as browsers send for sites with many cookies', () => {
    const others = Array.from({ length: 60 }, (_, index) => `c${index}=${'p'.repeat(200)}`).join('; ');
    expect(readCookies(`${others}; sessionid=x`, 'sessionid')).toEqual(['x']);
    expect(readCookies(`sessionid=x; pad=${'p'.repeat(9000)}`, 'sessionid')).toEqual(['x']);
  });

  it('reads a header full of near-misses in one pass', () => {
    const text = `${'sessionid;'.repeat(50_000)}sessionid=x`;
    expect(readCookies(text, 'sessionid')).toEqual(['x']);
    expect(readCookies('sessionidsessionid'.repeat(50_000), 'sessionid')).toEqual([]);
  });
});

describe('serializeCookie', () => {
  it('writes every attribute', () => {
    const header = serializeCookie('sid', 'v', { path: '/', domain: 'a.test', httpOnly: true, secure: true, sameSite: 'none', maxAge: 10 });
    expect(header).toMatch(/^sid=v; Path=\/; Domain=a.test; Max-Age=10; Expires=[^;]+ GMT; HttpOnly; Secure; SameSite=None$/);
  });

  it('omits Max-Age and Expires for a browser-session cookie', () => {
    expect(serializeCookie('sid', 'v', { path: '/', httpOnly: true, secure: false, sameSite: 'lax' })).toBe('sid=v; Path=/; HttpOnly; SameSite=Lax');
  });
});

describe('appendHeader', () => {
  it('keeps headers already set and does nothing once the response is sent', () => {
    const headers = new Map<string, string | string[]>([['set-cookie', 'other=1']]);
    const nodeResponse = {
      headersSent: false,
      getHeader: (name: string) => headers.get(name),
      setHeader: (name: string, value: string | string[]) => headers.set(name, value),
    };
    expect(appendHeader(nodeResponse, 'set-cookie', 'sid=2')).toBe(true);
    expect(headers.get('set-cookie')).toEqual(['other=1', 'sid=2']);
    nodeResponse.headersSent = true;
    expect(appendHeader(nodeResponse, 'set-cookie', 'sid=3')).toBe(false);
    expect(headers.get('set-cookie')).toEqual(['other=1', 'sid=2']);
  });

  it("on a Fastify reply, puts the whole list on the reply, the Node.js response's values first", () => {
    const raw = new Map<string, string | string[]>([['set-cookie', ['consent=yes']]]);
    const own = new Map<string, string | string[]>([['vary', 'Accept']]);
    const reply = {
      raw: { headersSent: false },
      // Fastify's reply reads its own headers, then the Node.js response's.
      getHeader: (name: string) => own.get(name) ?? raw.get(name),
      removeHeader: (name: string) => {
        own.delete(name);
        raw.delete(name);
      },
      header: (name: string, value: string | string[]) => own.set(name, value),
    };
    expect(appendHeader(reply, 'set-cookie', 'sid=1')).toBe(true);
    expect(appendHeader(reply, 'vary', 'Cookie')).toBe(true);
    expect(Object.fromEntries(own)).toEqual({ vary: ['Accept', 'Cookie'], 'set-cookie': ['consent=yes', 'sid=1'] });
    expect(raw.size).toBe(0);
    reply.raw.headersSent = true;
    expect(appendHeader(reply, 'set-cookie', 'sid=2')).toBe(false);
    expect(own.get('set-cookie')).toEqual(['consent=yes', 'sid=1']);
  });
});
