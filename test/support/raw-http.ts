import net from 'node:net';

/** A request as bytes go out: any method, target and header bytes, none checked. */
export interface RawRequest {
  method: string;
  /** The request target as sent, e.g. `/account/sessions/%00`; not encoded here. */
  target: string;
  /** In order; a value may be raw bytes (control characters, invalid UTF-8…). */
  headers: [name: string, value: string | Buffer][];
  body?: string | Buffer;
  /** Leave out the `Host` header that is otherwise added (Node answers 400 without one). */
  noHost?: boolean;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `\n`. */
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, as latin1, to search for secrets. */
  raw: string;
}

/**
 * The bytes of `request`, written as they are: HTTP clients (undici, supertest) refuse
 * control characters, NUL and oversized values in headers, and a hostile client does not.
 * `Host` is added unless the request has one, `Content-Length` for a body, and
 * `Connection: close` always, so the answer ends with the connection.
 */
export function encodeRequest(request: RawRequest, host: string): Buffer {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const head: Buffer[] = [Buffer.from(`${request.method} ${request.target} HTTP/1.1\r\n`, 'latin1')];
  const headers = [...request.headers];
  if (!request.noHost && !headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['Host', host]);
  for (const [name, value] of headers) {
    head.push(Buffer.from(`${name}: `, 'latin1'), Buffer.from(value), Buffer.from('\r\n'));
  }
  if (body !== undefined) head.push(Buffer.from(`Content-Length: ${body.length}\r\n`));
  head.push(Buffer.from('Connection: close\r\n\r\n'));
  return Buffer.concat(body === undefined ? head : [...head, body]);
}

/**
 * Sends `request` over a fresh TCP connection and reads the answer until the server closes
 * it. Rejects when no complete answer comes within `timeoutMs` (a hang is a finding too).
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const bytes = encodeRequest(request, `127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) return reject(error);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (parseError) {
        reject(parseError);
      }
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no complete answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer (431, 400) and close before it has read everything we wrote:
    // a reset after an answer is the answer.
    socket.on('error', (error) => finish(chunks.length > 0 ? null : error));
    socket.on('end', () => finish(null));
    socket.write(bytes);
  });
}

/** Status, headers and body of an HTTP/1.1 answer (Content-Length or chunked). */
export function parseResponse(bytes: Buffer): RawResponse {
  const raw = bytes.toString('latin1');
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`incomplete answer: ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, headEnd).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}\n${value}` : value;
  }
  let body = bytes.subarray(Buffer.byteLength(raw.slice(0, headEnd + 4), 'latin1'));
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status: Number(match[1]), headers, body: body.toString('utf8'), raw };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The request as a failure report shows it: every byte visible (as latin1 in JSON), long values cut. */
export function showRequest(request: RawRequest): string {
  const cut = (value: string | Buffer) => {
    const text = Buffer.isBuffer(value) ? value.toString('latin1') : value;
    return `${JSON.stringify(text.slice(0, 300))}${text.length > 300 ? ` (${text.length} bytes)` : ''}`;
  };
  const lines = [`request: ${request.method} ${cut(request.target)}`];
  for (const [name, value] of request.headers) lines.push(`  ${name}: ${cut(value)}`);
  if (request.body !== undefined) lines.push(`  body: ${cut(request.body)}`);
  return lines.join('\n');
}
