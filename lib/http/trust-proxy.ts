import proxyAddr from 'proxy-addr';

/** Whether the address at `hop` (0: the socket's peer) is a proxy whose X-Forwarded-For is believed. */
export type TrustProxy = (address: string, hop: number) => boolean;

/** The underlying Express app or Fastify instance, as `HttpAdapterHost` gives it. */
interface PlatformInstance {
  get?(setting: string): unknown;
}

/**
 * The app's trust-proxy rule, for requests the platform never wraps (a WebSocket handshake):
 * Express's compiled `trust proxy` setting, or Fastify's `trustProxy` option compiled the way
 * Fastify compiles it. Null when the app trusts no proxy, or its platform is neither.
 */
export function trustProxyOf(instance: unknown): TrustProxy | null {
  if (typeof instance !== 'object' && typeof instance !== 'function') return null;
  if (instance === null) return null;
  const platform = instance as PlatformInstance;
  // Express keeps the compiled rule as a setting; its default trusts nothing.
  if (typeof platform.get === 'function' && 'settings' in platform) {
    const trust = platform.get('trust proxy fn');
    return typeof trust === 'function' ? (trust as TrustProxy) : null;
  }
  return compileFastifyTrust(fastifyTrustProxyOption(instance));
}

/** Fastify keeps its options under a symbol it does not export. */
function fastifyTrustProxyOption(instance: object): unknown {
  const key = Object.getOwnPropertySymbols(instance).find((symbol) => symbol.description === 'fastify.options');
  const options = key === undefined ? undefined : (instance as Record<symbol, { trustProxy?: unknown } | undefined>)[key];
  return options?.trustProxy;
}

function compileFastifyTrust(trust: unknown): TrustProxy | null {
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  if (typeof trust === 'function') return trust as TrustProxy;
  if (typeof trust === 'string') return proxyAddr.compile(trust.split(',').map((part) => part.trim()));
  if (Array.isArray(trust)) return proxyAddr.compile(trust as string[]);
  return null;
}
