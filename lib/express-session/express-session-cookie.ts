import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The session id inside a cookie that express-session signed, or null when no `secrets` signed
 * it. express-session writes `s:<id>.<signature>`, the signature being the base64 HMAC-SHA256
 * of the id without `=` padding, URI-encoded by the `cookie` package; it tries each of its
 * secrets in turn, and so does this. Anything else (unsigned, tampered, truncated, bad
 * percent-encoding) is null, never an error: a cookie is attacker-controlled input.
 */
export function unsignExpressSessionCookie(value: string, secrets: readonly string[]): string | null {
  let text = value;
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return null;
    }
  }
  if (!text.startsWith('s:')) return null;
  const dot = text.lastIndexOf('.');
  if (dot <= 2) return null;
  const sid = text.slice(2, dot);
  const signature = Buffer.from(text.slice(dot + 1));
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, ''));
    // Constant-time, so the response time tells nothing about how much of a forgery matched.
    if (expected.length === signature.length && timingSafeEqual(expected, signature)) return sid;
  }
  return null;
}
