import { isIP } from 'node:net';
import { MAX_USER_AGENT_LENGTH } from '../user-sessions.constants.js';

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARACTERS_ALL = /[\u0000-\u001f\u007f]/g;
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const MAX_IP_LENGTH = 45;

/** The parts of a request (Express's, or Node's under Fastify's middleware) `requestIp` reads. */
export interface ClientRequestLike {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/**
 * The client's address as the platform reports it: `request.ip`, which follows Express's
 * `trust proxy` or Fastify's `trustProxy`. Both read only X-Forwarded-For, so without that
 * header every setting comes to the socket's address, which is then read directly: Express
 * works `ip` out anew on each read, at a cost the request path notices (`npm run bench`). An
 * `ip` set on the request itself (by @fastify/middie, or by the app) is taken as it is.
 */
export function requestIp(request: ClientRequestLike): unknown {
  if (request.headers?.['x-forwarded-for'] !== undefined || Object.hasOwn(request, 'ip')) return request.ip;
  return request.socket?.remoteAddress ?? request.ip;
}

/**
 * A valid IPv4 or IPv6 address, or null. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a
 * dual-stack socket reports for IPv4 clients) is stored as plain IPv4.
 */
export function normalizeIp(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_IP_LENGTH) {
    return null;
  }
  const mapped = IPV4_MAPPED.exec(value);
  const candidate = mapped ? mapped[1] : value;
  const version = isIP(candidate);
  if (version === 4) return candidate;
  if (version === 6) return candidate.toLowerCase();
  return null;
}

/**
 * The network part of a normalized address: IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48
 * (`2001:db8:85a3::`). Enough for a city-level location, no longer a household or device.
 */
export function truncateIp(ip: string): string {
  if (isIP(ip) === 4) return ip.replace(/\.\d+$/, '.0');
  const groups = expandIpv6(ip).slice(0, 3).map((group) => group.replace(/^0+(?=.)/, ''));
  return `${groups.join(':')}::`;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail becomes two groups). */
function expandIpv6(ip: string): string[] {
  const embedded = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  let text = ip;
  if (embedded) {
    const [a, b, c, d] = embedded.slice(1).map(Number);
    text = `${ip.slice(0, embedded.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups];
}

const HINT_PATTERN = /^"?([A-Za-z0-9 ._-]{1,32})"?$/;

/** The platform Client Hints of a request, or null when it sent none (or junk). */
export function readClientHints(
  headers: Record<string, string | string[] | undefined> | undefined,
): { platform: string; platformVersion: string | null } | null {
  const platform = hintValue(headers?.['sec-ch-ua-platform']);
  if (platform === null) return null;
  return { platform, platformVersion: hintValue(headers?.['sec-ch-ua-platform-version']) };
}

/** A structured-field string (`"Windows"`) as plain text, or null. */
function hintValue(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = typeof value === 'string' ? HINT_PATTERN.exec(value.trim()) : null;
  return match ? match[1] : null;
}

/** The user agent cut to the column's 200 characters; empty or missing is null. */
export function normalizeUserAgent(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // The common case, a short printable user agent, is kept as it is without copying.
  if (value.length <= MAX_USER_AGENT_LENGTH && !CONTROL_CHARACTERS.test(value)) {
    return value.length > 0 ? value : null;
  }
  // Control characters have no place in a user agent and would garble a sessions page.
  const cleaned = value.slice(0, MAX_USER_AGENT_LENGTH * 2).replace(CONTROL_CHARACTERS_ALL, '');
  const truncated = Array.from(cleaned).slice(0, MAX_USER_AGENT_LENGTH).join('');
  return truncated.length > 0 ? truncated : null;
}
