/** What `TRUST_PROXY` can say: see `trustProxyFromEnv`. */
export type TrustProxy = boolean | number | string;

/**
 * The value for Express's `trust proxy` setting from the `TRUST_PROXY` variable: `true` or
 * `false`, a number of proxy hops, or a comma list of addresses and subnets (passed as is,
 * Express parses it). Undefined when unset, to keep Express's default (trust no proxy).
 */
export function trustProxyFromEnv(value: string | undefined): TrustProxy | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return trimmed;
}

/**
 * The same for Fastify's `trustProxy` option, which takes `true`, `false` and address lists
 * as Express does, but reads a number as "trust nothing": a number of hops becomes the
 * function Express makes of it, which trusts the addresses that many hops in from the client's
 * connection.
 */
export function fastifyTrustProxy(value: TrustProxy | undefined): boolean | string | ((address: string, hop: number) => boolean) | undefined {
  if (typeof value !== 'number') return value;
  return (_address, hop) => hop < value;
}
