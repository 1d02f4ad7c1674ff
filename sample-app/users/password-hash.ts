import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keyLength: number, options: ScryptOptions) => Promise<Buffer>;

/** scrypt's cost: `N` (CPU and memory, a power of two), `r` (block size), `p` (parallelism). */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's Password Storage Cheat Sheet: N=2^17, r=8, p=1 (128 MiB and about 0.1 to 0.7 s a hash). */
export const OWASP_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };

/** What the first hashes, `scrypt$<salt hex>$<hash hex>`, were made with: Node's defaults. */
const FIRST_FORMAT_COST: ScryptCost = { N: 2 ** 14, r: 8, p: 1 };

/** A stored cost above twice OWASP's (time and memory: N·r·p) is a tampered hash, refused rather than run. */
const MAX_WORK = 2 * OWASP_SCRYPT_COST.N * OWASP_SCRYPT_COST.r * OWASP_SCRYPT_COST.p;

const SALT_BYTES = 16;
const KEY_BYTES = 64;

/** A hash string, read: the cost it was made with, its salt and the derived key. */
interface ParsedHash {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
}

/**
 * Hashes a password with scrypt at `cost` and a random salt, as
 * `scrypt$N=131072,r=8,p=1$<salt base64>$<key base64>`. The cost is stored with the hash, so
 * that it can be raised later without breaking the hashes made before.
 */
export async function hashPassword(password: string, cost: ScryptCost = OWASP_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, cost);
  return format({ cost, salt, key });
}

/**
 * Whether `password` matches `storedHash`, at the cost the hash names (`scrypt$<salt hex>$<hash
 * hex>` of the first format: Node's defaults). False for a malformed or tampered hash.
 */
export async function verifyPassword(password: string, storedHash: string): Promise<boolean> {
  const parsed = parse(storedHash);
  if (!parsed) return false;
  const key = await deriveKey(password, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}

/** Whether a hash was made at a lower cost than `cost`: re-hash it when its password is next entered. */
export function needsRehash(storedHash: string, cost: ScryptCost): boolean {
  const stored = parse(storedHash)?.cost;
  return stored !== undefined && (stored.N < cost.N || stored.r < cost.r || stored.p < cost.p);
}

/**
 * A well-formed hash at `cost` that no password matches. Checking a password against it costs
 * what a real check costs, so an unknown username answers as slowly as a wrong password.
 */
export function decoyPasswordHash(cost: ScryptCost): string {
  return format({ cost, salt: Buffer.alloc(SALT_BYTES), key: Buffer.alloc(KEY_BYTES) });
}

function format({ cost: { N, r, p }, salt, key }: ParsedHash): string {
  return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const FORMAT = /^scrypt\$N=(\d{1,10}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;
const FIRST_FORMAT = /^scrypt\$([0-9a-f]{32})\$([0-9a-f]{128})$/;

/** The hash's parts, or null when it is malformed, too short, or names a cost scrypt refuses or we will not run. */
function parse(storedHash: string): ParsedHash | null {
  const first = FIRST_FORMAT.exec(storedHash);
  if (first) return { cost: FIRST_FORMAT_COST, salt: Buffer.from(first[1], 'hex'), key: Buffer.from(first[2], 'hex') };
  const match = FORMAT.exec(storedHash);
  if (!match) return null;
  const cost = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const salt = fromBase64(match[4]);
  const key = fromBase64(match[5]);
  // A short key would be matched by chance; a short salt is not one we made.
  if (!salt || !key || salt.length < SALT_BYTES || key.length < 32 || !isRunnable(cost)) return null;
  return { cost, salt, key };
}

/** The bytes of canonical base64; null for anything else (Buffer.from skips what it cannot read). */
function fromBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/** Node's rules for scrypt's parameters, and our cap. */
function isRunnable({ N, r, p }: ScryptCost): boolean {
  return N >= 2 && Number.isInteger(Math.log2(N)) && r >= 1 && p >= 1 && N < 2 ** (16 * r) && N * r * p <= MAX_WORK;
}

/** The bytes scrypt allocates, as OpenSSL counts them against `maxmem`. */
function memory({ N, r, p }: ScryptCost): number {
  return 128 * r * (N + p + 2);
}

/** scrypt on the thread pool: a hash does not block the event loop. */
function deriveKey(password: string, salt: Buffer, keyLength: number, cost: ScryptCost): Promise<Buffer> {
  // Node refuses more than 32 MiB unless told; OWASP's cost needs 128 MiB.
  return scrypt(password, salt, keyLength, { ...cost, maxmem: memory(cost) });
}
