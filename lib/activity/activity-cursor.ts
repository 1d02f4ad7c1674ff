/** An entry id as the history's opaque page cursor. Not signed: it only says where a page starts. */
export function encodeActivityCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

/** The entry id a cursor names, or null when it is not one `encodeActivityCursor()` made. */
export function decodeActivityCursor(cursor: unknown): number | null {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,16}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString();
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Buffer.from(text).toString('base64url') !== cursor) return null;
  const id = Number(text);
  return id <= 2 ** 31 - 1 ? id : null;
}
