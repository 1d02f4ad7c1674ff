/**
 * The value for Express's `trust proxy` setting from the `TRUST_PROXY` variable: `true` or
 * `false`, a number of proxy hops, or a comma list of addresses and subnets (passed as is,
 * Express parses it). Undefined when unset, to keep Express's default (trust no proxy).
 */
export function trustProxyFromEnv(value: string | undefined): boolean | number | string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return trimmed;
}
