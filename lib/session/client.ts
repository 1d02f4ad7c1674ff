import { isIP } from 'node:net';
import { MAX_USER_AGENT_LENGTH } from '../user-sessions.constants.js';

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARACTERS_ALL = /[\u0000-\u001f\u007f]/g;
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const MAX_IP_LENGTH = 45;

/** The platform Client Hints a request sent (`Sec-CH-UA-Platform`, `-Version`). */
export interface PlatformHints {
  platform: string;
  platformVersion: string | null;
}

/** What the privacy options let the store keep of a client (see `ipAddresses`, `storeUserAgent`). */
export interface ClientRecordingRules {
  ipAddresses: 'full' | 'truncated' | 'none';
  storeUserAgent: boolean;
}

/** Applies the privacy options to what a request or an app says about the client. */
export class ClientRecorder {
  constructor(private readonly rules: ClientRecordingRules) {}

  /** The client's IP as the `ipAddresses` option lets us keep it. */
  ip(value: unknown): string | null {
    if (this.rules.ipAddresses === 'none') return null;
    const ip = normalizeIp(value);
    return ip !== null && this.rules.ipAddresses === 'truncated' ? truncateIp(ip) : ip;
  }

  /** The user agent, unless the `storeUserAgent` option is off. */
  userAgent(value: unknown): string | null {
    return this.rules.storeUserAgent ? normalizeUserAgent(value) : null;
  }

  /** Whether the user agent and the platform hints (which describe the same device) are kept. */
  get keepsUserAgent(): boolean {
    return this.rules.storeUserAgent;
  }
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
