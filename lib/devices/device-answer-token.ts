import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** A random public device id: 16 bytes, base64url (22 characters). */
export function generateDeviceId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A new "Was this you?" answer for a device: the token the event carries (`<deviceId>.<secret>`,
 * 256 random bits) and the digest the row keeps. Like session keys, the token exists only in
 * the event; whoever reads the table cannot answer for anyone.
 */
export function newDeviceAnswer(deviceId: string): { token: string; digest: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${deviceId}.${secret}`, digest: digestAnswer(secret) };
}

/** The device id and secret of a well-formed token, or null (junk never reaches the database). */
export function parseDeviceAnswer(token: unknown): { deviceId: string; secret: string } | null {
  if (typeof token !== 'string') return null;
  const match = TOKEN.exec(token);
  return match ? { deviceId: match[1], secret: match[2] } : null;
}

/** Whether `secret` is the one whose digest is `digest`, in constant time. */
export function answerMatches(secret: string, digest: string | null): boolean {
  if (digest === null) return false;
  const expected = Buffer.from(digest, 'hex');
  const actual = Buffer.from(digestAnswer(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function digestAnswer(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
