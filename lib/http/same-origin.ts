import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * The parts of a request the check reads: Express's request, or the Node.js request that Nest
 * middleware gets on Fastify, on which @fastify/middie sets `hostname` and `protocol` as
 * Fastify's `trustProxy` option sees them (but not `host`).
 */
export interface OriginRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  host?: string;
  hostname?: string;
  protocol?: string;
}

/**
 * CSRF defence, applied by the module's middleware to every request of the app: a browser
 * names the page that sent a request in `Origin` (or `Referer`), and a page on another site
 * can make a browser send the user's cookie with a form post. So a state-changing request
 * that names a foreign origin is refused with 403 before any guard or handler runs. Requests
 * that name none (curl, server-to-server) pass: they carry no victim's cookie.
 * `Origin: null` (sandboxed or privacy-stripped) is refused, since its source cannot be told.
 */
export function isCrossOriginRefused(request: OriginRequest, options: Pick<ResolvedUserSessionsOptions, 'checkOrigin' | 'trustedOrigins'>): boolean {
  if (!options.checkOrigin || SAFE_METHODS.has((request.method ?? 'GET').toUpperCase())) return false;
  const claimed = firstHeader(request.headers.origin) ?? firstHeader(request.headers.referer);
  if (claimed === undefined || claimed === '') return false;
  return !isAllowed(claimed, request, options.trustedOrigins);
}

/**
 * Whether a WebSocket handshake comes from a page of another origin (cross-site WebSocket
 * hijacking: the browser sends the cookie with it, and `sameSite: 'lax'` lets a sibling
 * subdomain's page do so). Browsers always send `Origin` on a handshake; a client that sends
 * none is not a browser, and passes. The handshake's own scheme is not known to a raw request,
 * so a `Host` without a port is taken as the origin's default port.
 */
export function isCrossOriginHandshake(request: OriginRequest, options: Pick<ResolvedUserSessionsOptions, 'checkOrigin' | 'trustedOrigins'>): boolean {
  if (!options.checkOrigin) return false;
  const claimed = firstHeader(request.headers.origin);
  if (claimed === undefined || claimed === '') return false;
  const protocol = claimed.toLowerCase().startsWith('https:') ? 'https' : 'http';
  return !isAllowed(claimed, { headers: request.headers, protocol }, options.trustedOrigins);
}

function isAllowed(claimed: string, request: OriginRequest, trustedOrigins: string[]): boolean {
  let url: URL;
  try {
    url = new URL(claimed);
  } catch {
    return false;
  }
  if (!(url.protocol in DEFAULT_PORTS)) return false;
  if (trustedOrigins.includes(url.origin.toLowerCase())) return true;

  const host = ownHost(request);
  if (!host) return false;
  const own = splitHost(host, request.protocol === 'https' ? '443' : '80');
  return (
    own !== null &&
    url.hostname.toLowerCase() === own.hostname &&
    (url.port || DEFAULT_PORTS[url.protocol]) === own.port
  );
}

/**
 * The app's own host and port as the platform sees it: through a trusted proxy, the
 * `X-Forwarded-Host` it sends. Express's request has it as `host`. On Fastify the Node.js
 * request has only the `hostname` Fastify read from `X-Forwarded-Host` (its last entry) or
 * from `Host`, without the port: the header it came from gives the port back. Should both
 * headers name the same host, the forwarded one is taken; where no proxy is trusted that is
 * the client's own header, which a browser never sends, so no cross-site form can choose it.
 */
function ownHost(request: OriginRequest): string | undefined {
  if (request.host !== undefined) return request.host;
  const host = firstHeader(request.headers.host);
  if (request.hostname === undefined) return host;
  const forwarded = lastEntry(request.headers['x-forwarded-host']);
  const hostname = request.hostname.toLowerCase();
  if (forwarded !== undefined && splitHost(forwarded, '')?.hostname === hostname) return forwarded;
  return host;
}

function lastEntry(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  return text?.slice(text.lastIndexOf(',') + 1).trim() || undefined;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `example.com:8080` or `[::1]:3000` into a lower-case host name and a port. */
function splitHost(host: string, defaultPort: string): { hostname: string; port: string } | null {
  try {
    const url = new URL(`http://${host}`);
    return { hostname: url.hostname.toLowerCase(), port: url.port || defaultPort };
  } catch {
    return null;
  }
}
