import type { LoggerService } from '@nestjs/common';
import fc from 'fast-check';
import { encodeRequest, sendRaw, showRequest, type RawRequest, type RawResponse } from './raw-http.js';

/**
 * Generators of what a hostile client sends. Header values are Buffers where they may hold
 * bytes that no HTTP client library sends (see raw-http.ts); they never hold CR or LF, which
 * would end the header line and smuggle a second request into the same connection.
 */

/** Any byte but CR and LF: NUL, other control bytes and 0x80–0xFF included. */
const headerByte = fc.integer({ min: 0, max: 255 }).filter((byte) => byte !== 0x0a && byte !== 0x0d);

/** Raw bytes for a header value. */
export const rawBytes = (maxLength: number) =>
  fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes.filter((byte) => byte !== 0x0a && byte !== 0x0d)));

/**
 * One character of hostile text: any code point, with the ones that break things more often
 * than chance would give them (NUL and other controls, quotes, escapes, direction marks, emoji).
 */
const hostileCharacter = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '%', '\\', '"', "'", ';', '=', ',', '\u007f', '\u00ff', '\ufffd', '\ufeff', '\u202e', '\u200b', '😀') },
);

/** Any Unicode text without CR or LF, sent as UTF-8 (Node reads header bytes as latin1: UTF-8 junk). */
export const anyText = (maxLength: number) =>
  fc.string({ unit: hostileCharacter, maxLength }).map((text) => text.replace(/[\r\n]/g, ''));

/** Lengths around the limits that matter: the library's 8 KiB cookie cap, Node's 16 KiB of headers. */
export const edgeLength = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom(8191, 8192, 8193, 16_300, 16_384, 16_385, 40_000) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 20_000 }) },
);

/** `text` inserted into `bytes` at a generated place, or bytes appended: for junk inside a value. */
function withJunkBytes(text: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(text, fc.option(rawBytes(8), { freq: 3 }), fc.nat())
    .map(([value, junk, at]) => {
      const bytes = Buffer.from(value);
      if (!junk) return bytes;
      const position = bytes.length === 0 ? 0 : at % bytes.length;
      return Buffer.concat([bytes.subarray(0, position), junk, bytes.subarray(position)]);
    });
}

/** 43 characters of base64url: the shape of a key we issue. */
export const wellFormedKey = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'), minLength: 43, maxLength: 43 });

/** 64 lower-case hex digits: the shape of a session id. */
export const hexId = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });

/** A key that is close to `key` but not it: a character changed, cut, case-swapped, a digest. */
export function nearKey(key: string, digest: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat({ max: 42 }).map((at) => `${key.slice(0, at)}${key[at] === 'A' ? 'B' : 'A'}${key.slice(at + 1)}`),
    fc.nat({ max: 42 }).map((length) => key.slice(0, length)),
    fc.constant(key.toUpperCase()).filter((upper) => upper !== key),
    fc.constant(key.toLowerCase()).filter((lower) => lower !== key),
    fc.constant(digest),
    fc.constant(Buffer.from(key, 'base64url').toString('base64')).filter((base64) => base64 !== key),
  );
}

/** The value of a `sessionid=` pair. */
function sessionValue(live: readonly string[], near: readonly fc.Arbitrary<string>[]): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [wellFormedKey, anyText(60), fc.constant(''), ...near];
  if (live.length > 0) {
    const key = fc.constantFrom(...live);
    options.push(
      key,
      key.map((value) => `"${value}"`),
      key.map((value) => ` ${value} `),
      key.map((value) => `${value}A`),
      key.map((value) => `A${value}`),
    );
  }
  return fc.oneof(...options);
}

/** One `name=value` pair of a Cookie header, or junk that is none. */
function cookiePair(live: readonly string[], near: readonly fc.Arbitrary<string>[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constant('sessionid') },
    { weight: 3, arbitrary: fc.constantFrom('SessionId', 'SESSIONID', ' sessionid', 'sessionid ', 'session id', 'sessionid\t', 'sessionid%3D', 'sessionid;', '$sessionid', 'connect.sid', '__Host-sessionid') },
    { weight: 2, arbitrary: anyText(20) },
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(name, sessionValue(live, near)).map(([n, v]) => `${n}=${v}`) },
    { weight: 1, arbitrary: fc.constantFrom('sessionid', '=', '==', ';', 'sessionid==', 'sessionid=%', 'sessionid=%zz', 'sessionid=%00', 'sessionid=%E0%A4%A') },
    { weight: 1, arbitrary: anyText(40) },
  );
}

/**
 * One or more Cookie header values: several `sessionid` pairs mixed with junk, separators of
 * every kind, padding up to and past the limits, and raw bytes. With `live` empty, no pair
 * carries a live key (near misses only).
 */
export function cookieHeaders(live: readonly string[], near: readonly fc.Arbitrary<string>[]): fc.Arbitrary<Buffer[]> {
  const header = fc
    .tuple(
      fc.array(cookiePair(live, near), { minLength: 1, maxLength: 6 }),
      fc.constantFrom('; ', ';', ', ', ' ; ', ';;'),
      fc.option(edgeLength, { freq: 3 }),
      fc.boolean(),
    )
    .map(([pairs, separator, padding, paddingFirst]) => {
      if (padding !== null) {
        const filler = `pad=${'x'.repeat(padding)}`;
        if (paddingFirst) pairs.unshift(filler);
        else pairs.push(filler);
      }
      return pairs.join(separator);
    });
  return fc.array(fc.oneof({ weight: 5, arbitrary: header.map((text) => Buffer.from(text)) }, { weight: 1, arbitrary: withJunkBytes(header) }), {
    minLength: 1,
    maxLength: 3,
  });
}

/** A user agent: real ones, empty, any Unicode, any bytes, and very long. */
export const userAgent: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    '',
    ' ',
    'curl/8.0',
  ).map((text) => Buffer.from(text)),
  anyText(300).map((text) => Buffer.from(text)),
  rawBytes(300),
  withJunkBytes(anyText(100)),
  fc.tuple(fc.constantFrom('Mozilla/5.0 ', '', '\t', 'é'), edgeLength).map(([start, length]) => Buffer.from(start + 'U'.repeat(length))),
);

/** An X-Forwarded-For value: addresses, lists of them, and junk that looks like one. */
export const forwardedFor: fc.Arbitrary<Buffer> = fc.oneof(
  fc.array(
    fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
      fc.constantFrom('unknown', '', ' ', '999.1.1.1', '1.2.3', '::ffff:999.0.0.1', '[::1]:80', '1.2.3.4:80', 'localhost', '127.0.0.1', '0.0.0.0', 'fe80::1%eth0', '%', "' OR 1=1 --"),
      anyText(50),
    ),
    { minLength: 1, maxLength: 8 },
  ).chain((parts) => fc.constantFrom(',', ', ', ' ,', ',,').map((separator) => Buffer.from(parts.join(separator)))),
  rawBytes(100),
  edgeLength.map((length) => Buffer.from('1.2.3.4,'.repeat(Math.ceil(length / 8)))),
);

/**
 * An Origin or Referer that is not the app's own: other sites, schemes, ports, user-info and
 * fragment tricks, `null`, and junk (every one starts with a visible character, so that it is
 * a claim and not an empty header). Left out as the app's own, because the WHATWG URL parser
 * reads them so (and browsers never send them): `https://` on the app's port (the scheme is
 * not compared; one port speaks one protocol), `http:/host:port`, `http://2130706433:port`.
 */
export function foreignOrigin(ownPort: number): fc.Arbitrary<Buffer> {
  const own = `127.0.0.1:${ownPort}`;
  const otherPort = fc.integer({ min: 1, max: 65_535 }).filter((port) => port !== ownPort);
  const scheme = fc.constantFrom('http', 'https', 'HTTP', 'ftp', 'ws', 'file', 'javascript', 'data', 'chrome-extension');
  return fc.oneof(
    fc.tuple(scheme, fc.domain()).map(([s, host]) => `${s}://${host}`),
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    otherPort.map((port) => `http://127.0.0.1:${port}`),
    fc.constantFrom(
      'null',
      `http://localhost:${ownPort}`,
      `ws://${own}`,
      `http://${own}@evil.example`,
      `http://${own}.evil.example`,
      `http://evil.example#@${own}`,
      `http://evil.example/${own}`,
      `http://evil.example?${own}`,
      `http://[::1]:${ownPort}`,
      `http://0.0.0.0:${ownPort}`,
      `//${own}`,
      own,
      'http://',
      'http://%00',
      `x-${own}`,
    ),
    fc.tuple(fc.constantFrom('x', 'http', '%', '"', '\u00e9'), anyText(60)).map(([start, rest]) => `${start}${rest}`),
  ).chain((text) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(Buffer.from(text)) },
      { weight: 1, arbitrary: fc.tuple(rawBytes(6), fc.constant(text)).map(([junk, value]) => Buffer.concat([Buffer.from('x'), junk, Buffer.from(value)])) },
    ),
  );
}

/** Junk for the other headers the session layer or Express read. */
export const otherHeaders: fc.Arbitrary<[string, Buffer][]> = fc.array(
  fc.tuple(
    fc.constantFrom(
      'X-Forwarded-Proto',
      'X-Forwarded-Host',
      'X-Real-IP',
      'Forwarded',
      'Sec-CH-UA-Platform',
      'Sec-CH-UA-Platform-Version',
      'Sec-CH-UA',
      'Accept-Language',
      'Accept',
      'Origin',
      'Referer',
      'If-None-Match',
      'Range',
    ),
    fc.oneof(anyText(80).map((text) => Buffer.from(text)), rawBytes(40), fc.constantFrom('"Windows"', '"15.0.0"', 'https', 'http, https', '"' + 'W'.repeat(40) + '"').map((text) => Buffer.from(text))),
  ),
  { maxLength: 5 },
);

/**
 * A path segment value of any shape: junk, traversal, Unicode, near-valid ids, keys, very long.
 * `known` adds ids that exist (another user's, say).
 */
export function idValue(known: readonly string[]): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [
    hexId,
    hexId.map((id) => id.toUpperCase()),
    hexId.map((id) => id.slice(1)),
    hexId.map((id) => `${id}0`),
    hexId.map((id) => ` ${id}`),
    wellFormedKey,
    anyText(80).filter((text) => text.length > 0),
    fc.constantFrom('..', '.', '../..', '..%2F..', '%2e%2e', '..\\..', 'users', 'null', 'undefined', '0', '-1', '1e3', '[]', '{}', '__proto__', 'constructor', "' OR '1'='1", '%', '%00', '\u0000', '\u202e', '\ufeff', '😀'.repeat(16)),
    edgeLength.filter((length) => length > 0).map((length) => 'a'.repeat(length)),
  ];
  if (known.length > 0) {
    options.push(fc.constantFrom(...known), fc.constantFrom(...known).map((id) => id.toUpperCase()));
  }
  return fc.oneof(...options);
}

/**
 * How an id goes into a path: percent-encoded (the server sees exactly the id), or as raw text
 * with only `/`, `?`, `#`, space, CR and LF encoded (malformed `%` sequences, raw UTF-8 and
 * control bytes reach the parser).
 */
export function pathSegment(id: string, raw: boolean): string {
  if (!raw) return encodeURIComponent(id);
  return Buffer.from(id.replace(/[/?# \r\n]/g, (character) => encodeURIComponent(character))).toString('latin1');
}

/** A JSON value of any type, small enough to stay under every body limit. */
export const jsonValue = fc.jsonValue({ maxDepth: 4 });

/**
 * JSON text that is not JSON, or not what a route takes. (One leading byte order mark is not
 * junk: RFC 8259 lets a parser skip it, and Express's and Fastify's both do; a second is.)
 */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('{', '}', '{"userId":', "{'userId':'alice'}", '{"userId":"alice",}', '{"userId":alice}', 'NaN', '{"userId":NaN}', '{"userId":"\\u12"}', '\ufeff\ufeff{"userId":"alice"}', '{"userId":"alice"} trailing', '/* */ {}', '{"userId":"alice"', '[', '""', '', ' ', 'null', 'true', '0'),
  jsonValue.chain((value) => {
    const text = JSON.stringify(value) ?? 'null';
    return fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => `{"userId":${text}`.slice(0, cut + 10));
  }),
  anyText(200),
);

/** A JSON body nested `depth` levels deep around `inner`: a few KB that a recursive walk cannot finish. */
export function nested(depth: number, inner = '1'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

/** Errors the app logs (Nest's ExceptionsHandler logs every 500; the library logs failures). */
export class ErrorRecorder implements LoggerService {
  readonly errors: string[] = [];
  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
  error(message: unknown, ...rest: unknown[]): void {
    this.errors.push([message, ...rest].map(String).join(' ').slice(0, 2000));
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.error(message, ...rest);
  }
}

/**
 * Sends requests on raw sockets and checks what every answer must satisfy: a status in the
 * set given, and no session key in it that the request did not carry itself. Counts what it
 * sent, for the summary.
 */
export class HostileClient {
  private requests = 0;
  private readonly byStatus = new Map<number, number>();
  private readonly byProperty = new Map<string, number>();
  private readonly startedAt = performance.now();

  constructor(
    private readonly port: number,
    /** The live session keys: none may appear in an answer to a request without it. */
    private readonly keys: () => readonly string[],
  ) {}

  async send(property: string, request: RawRequest, allowed: readonly number[]): Promise<RawResponse> {
    let response: RawResponse;
    try {
      response = await sendRaw(this.port, request);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${showRequest(request)}`);
    }
    this.requests++;
    this.byStatus.set(response.status, (this.byStatus.get(response.status) ?? 0) + 1);
    this.byProperty.set(property, (this.byProperty.get(property) ?? 0) + 1);
    if (!allowed.includes(response.status)) {
      throw new Error(
        `answered ${response.status} ${JSON.stringify(response.body.slice(0, 300))}; documented here: ${allowed.join(', ')}\n${showRequest(request)}`,
      );
    }
    const sent = encodeRequest(request, '').toString('latin1');
    for (const key of this.keys()) {
      if (!sent.includes(key) && response.raw.includes(key)) {
        throw new Error(`the answer carries a session key the request did not send\n${showRequest(request)}`);
      }
    }
    return response;
  }

  /** "N requests in S s; statuses 200×… 400×…", and the count per property. */
  summary(): string {
    const seconds = ((performance.now() - this.startedAt) / 1000).toFixed(1);
    const statuses = [...this.byStatus].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
    const properties = [...this.byProperty].map(([name, count]) => `${name} ${count}`).join(', ');
    return `${this.requests} requests in ${seconds} s; statuses ${statuses}\n  per property: ${properties}`;
  }
}
