import { createHash, hash, randomBytes } from 'node:crypto';

/** 32 random bytes from the OS CSPRNG: 256 bits, well over the 128 that make guessing hopeless. */
const KEY_BYTES = 32;
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** A session's public id as the API shows it: 64 lower-case hex digits. */
export const SESSION_ID_PATTERN = /^[0-9a-f]{64}$/;

/** A new session key: the secret that only the cookie carries. */
export function generateSessionKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

/**
 * The SHA-256 digest under which a key is stored. Only digests reach the database, the
 * API and the logs, so a leaked table, backup or log line hands out no live session;
 * a fast hash is enough because the key itself has 256 bits of entropy.
 */
export function digestSessionKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The pad that seals a rotated session's new key under the key it replaced. */
function sealPad(previousKey: string): Buffer {
  return createHash('sha256').update('nestjs-user-sessions:key-seal\n').update(previousKey).digest();
}

/**
 * The new key of a rotation, sealed under the key it replaces: stored with the row, so that a
 * request still carrying the previous key (its response with the new cookie lost, or sent
 * before it arrived) can be given the new key again. Opening it takes the previous key, which
 * the row keeps only as a digest: the table alone opens nothing.
 */
export function sealRotatedKey(key: string, previousKey: string): string {
  const pad = sealPad(previousKey);
  const bytes = Buffer.from(key, 'base64url');
  for (let index = 0; index < bytes.length; index++) bytes[index] ^= pad[index];
  return bytes.toString('base64url');
}

/** The key `sealRotatedKey()` sealed, opened with the previous key; null when it is not one. */
export function openRotatedKey(seal: string, previousKey: string): string | null {
  if (!isWellFormedSessionKey(seal)) return null;
  const key = sealRotatedKey(seal, previousKey);
  return isWellFormedSessionKey(key) ? key : null;
}

/** Whether a cookie value can be a key we issued: junk is refused before any query. */
export function isWellFormedSessionKey(value: unknown): value is string {
  return typeof value === 'string' && KEY_PATTERN.test(value);
}

/**
 * The digest under which `importExpressSessions()` stores an express-session session: the
 * SHA-256 of its old id behind a prefix. Our keys are base64url and so never contain ":",
 * hence no old id, whatever it is, can hash to the digest of a key we issued (nor the other
 * way round); the old id also reaches the database only hashed, like our keys.
 */
export function digestLegacySessionId(sid: string): string {
  return hash('sha256', `express-session:${sid}`, 'hex');
}
