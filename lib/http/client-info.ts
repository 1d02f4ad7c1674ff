import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { PlatformHints } from '../session/client.js';
import type { TrustProxy } from './trust-proxy.js';

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
 * works `ip` out anew on each read, a cost the request path need not pay. An
 * `ip` set on the request itself (by @fastify/middie, or by the app) is taken as it is. A
 * request no platform wrapped (a WebSocket handshake) has no `ip`: `trust` (the app's
 * trust-proxy rule, given when known) reads its X-Forwarded-For, else the socket's address is it.
 */
export function requestIp(request: ClientRequestLike, trust: () => TrustProxy | null = noTrust): unknown {
  if (request.headers?.['x-forwarded-for'] !== undefined || Object.hasOwn(request, 'ip')) {
    const ip = request.ip;
    if (ip !== undefined || !request.socket) return ip;
    const rule = trust();
    return rule ? proxyAddr(request as IncomingMessage, rule) : request.socket.remoteAddress;
  }
  return request.socket?.remoteAddress ?? request.ip;
}

const noTrust = (): null => null;

const HINT_PATTERN = /^"?([A-Za-z0-9 ._-]{1,32})"?$/;

/** The platform Client Hints of a request, or null when it sent none (or junk). */
export function readClientHints(headers: Record<string, string | string[] | undefined> | undefined): PlatformHints | null {
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
