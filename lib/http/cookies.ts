/** The cookie attributes the store sends; see the module options for their meaning. */
export interface SessionCookieAttributes {
  path: string;
  domain?: string;
  httpOnly: true;
  secure: boolean;
  sameSite: 'lax' | 'strict' | 'none';
  /** Seconds; omitted for a browser-session cookie. */
  maxAge?: number;
}

const SAME_SITE = { lax: 'Lax', strict: 'Strict', none: 'None' } as const;

/**
 * The values of every cookie called `name` in a Cookie header, in order. A header may
 * carry the same name more than once (cookies for several paths or domains).
 */
export function readCookies(header: string | string[] | undefined, name: string): string[] {
  const text = Array.isArray(header) ? header.join('; ') : header;
  // No length limit: browsers send more than 8 KiB for sites with many cookies, and the scan
  // is linear (each pair is searched once); Node's header limit (16 KiB) bounds it anyway.
  if (!text || !name) return [];
  const values: string[] = [];
  // Only the pairs whose name part contains `name` are cut out and compared (an app's other
  // cookies cost a search, not a string each): this runs on every request.
  let from = 0;
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, from)) {
    const start = text.lastIndexOf(';', at) + 1;
    let end = text.indexOf(';', at);
    if (end < 0) end = text.length;
    const separator = text.indexOf('=', start);
    if (separator > at && separator < end && text.slice(start, separator).trim() === name) {
      let value = text.slice(separator + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
        value = value.slice(1, -1);
      }
      values.push(value);
    }
    from = end + 1;
  }
  return values;
}

/** A Set-Cookie header value. */
export function serializeCookie(name: string, value: string, attributes: SessionCookieAttributes): string {
  const parts = [`${name}=${value}`, `Path=${attributes.path}`];
  if (attributes.domain) parts.push(`Domain=${attributes.domain}`);
  if (attributes.maxAge !== undefined) {
    const seconds = Math.max(0, Math.floor(attributes.maxAge));
    parts.push(`Max-Age=${seconds}`, `Expires=${new Date(Date.now() + seconds * 1000).toUTCString()}`);
  }
  parts.push('HttpOnly');
  if (attributes.secure) parts.push('Secure');
  parts.push(`SameSite=${SAME_SITE[attributes.sameSite]}`);
  return parts.join('; ');
}

/** Minimal view of Express's response, Fastify's reply and Node's response, enough to add headers. */
interface HeaderTarget {
  headersSent?: boolean;
  sent?: boolean;
  raw?: { headersSent?: boolean };
  append?: (name: string, value: string) => unknown;
  header?: (name: string, value: string | string[]) => unknown;
  getHeader?: (name: string) => unknown;
  setHeader?: (name: string, value: string | string[]) => unknown;
  removeHeader?: (name: string) => unknown;
}

/**
 * Adds a header without dropping those the app already set (Set-Cookie may repeat).
 * Returns false when the response has already been sent (a handler that used `@Res()`).
 */
export function appendHeader(response: unknown, name: string, value: string): boolean {
  const target = response as HeaderTarget;
  if (target.headersSent === true || target.sent === true || target.raw?.headersSent === true) return false;
  if (typeof target.setHeader === 'function' && typeof target.getHeader === 'function' && target.getHeader(name) === undefined) {
    // Express's or Node's response with no such header yet (the common case): nothing to keep.
    target.setHeader(name, value);
  } else if (typeof target.append === 'function') {
    target.append(name, value); // Express
  } else if (typeof target.header === 'function' && typeof target.getHeader === 'function') {
    // Fastify's reply: its headers replace those of the same name on the Node.js response
    // (where a middleware may have set a cookie) when it is sent, and `getHeader` reads both,
    // so the whole list goes on the reply.
    const values = [...headerValues(target.getHeader(name)), value];
    target.removeHeader?.(name);
    target.header(name, values);
  } else if (typeof target.setHeader === 'function' && typeof target.getHeader === 'function') {
    target.setHeader(name, [...headerValues(target.getHeader(name)), value]); // Node.js
  }
  return true;
}

function headerValues(value: unknown): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}
