/**
 * Load of WebSocket messages (a `WS` route): one connection per cookie, opened before the
 * window (so that the handshakes' reads are not the window's), each sending the route's message
 * as soon as the answer to the previous one arrived. A measurement is valid only when every
 * answer contains the expected text and no connection failed or closed.
 */
import { WebSocket } from 'ws';
import { BENCH_USER_AGENT } from './protocol.js';
import type { LoadResult, LoadTarget } from './load.js';
import { percentile } from './stats.js';

/** Connections opened and answering, ready for a window. */
export interface OpenConnections {
  /** Sends messages for `duration` seconds; resolves with what came back, and closes the connections. */
  run(duration: number): Promise<LoadResult>;
  close(): void;
}

function url(target: LoadTarget): string {
  return `ws://127.0.0.1:${target.port}${target.route.path}`;
}

/** One connection, with `cookie` when given; resolves once it is open. */
function connect(target: LoadTarget, cookie: string | undefined): Promise<WebSocket> {
  const headers: Record<string, string> = { 'user-agent': BENCH_USER_AGENT };
  if (cookie) headers.cookie = cookie;
  const socket = new WebSocket(url(target), { headers, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One message and its answer, or the close code when the connection closed instead. */
function exchange(socket: WebSocket, message: string): Promise<{ answer: string } | { closed: number }> {
  return new Promise((resolve) => {
    const onMessage = (data: unknown) => {
      socket.off('close', onClose);
      resolve({ answer: String(data) });
    };
    const onClose = (code: number) => {
      socket.off('message', onMessage);
      resolve({ closed: code });
    };
    socket.once('message', onMessage);
    socket.once('close', onClose);
    socket.send(message);
  });
}

/** Opens one connection per cookie (cycling the cookies up to `connections`), each answering one message. */
export async function openConnections(target: LoadTarget, connections: number): Promise<OpenConnections> {
  const message = target.route.body ?? '';
  const cookies = Array.from({ length: connections }, (_, index) => target.cookies[index % target.cookies.length]);
  const sockets = await Promise.all(cookies.map((cookie) => connect(target, cookie)));
  for (const socket of sockets) await exchange(socket, message);
  const close = () => {
    for (const socket of sockets) socket.terminate();
  };
  return {
    close,
    run: async (duration) => {
      const latencies: number[] = [];
      let answers = 0;
      let mismatches = 0;
      let errors = 0;
      let running = true;
      const started = performance.now();
      const stop = setTimeout(() => (running = false), duration * 1000);
      await Promise.all(
        sockets.map(async (socket) => {
          while (running) {
            const sent = performance.now();
            const result = await exchange(socket, message);
            if ('closed' in result) {
              errors++;
              return;
            }
            latencies.push(performance.now() - sent);
            answers++;
            if (!result.answer.includes(target.bodyContains)) mismatches++;
          }
        }),
      );
      clearTimeout(stop);
      const seconds = (performance.now() - started) / 1000;
      close();
      const sorted = Float64Array.from(latencies).sort();
      const problems: string[] = [];
      if (errors > 0) problems.push(`${errors} connections closed during the window`);
      if (mismatches > 0) problems.push(`${mismatches} answers without the expected text`);
      if (answers === 0) problems.push('no answer at all');
      return {
        requests: answers,
        duration: seconds,
        requestsPerSecond: answers / seconds,
        latency: {
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
          max: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
        },
        autocannonLatency: { p50: NaN, p99: NaN },
        errors,
        timeouts: 0,
        non2xx: 0,
        mismatches,
        statusCodes: {},
        problems,
      };
    },
  };
}

/**
 * The check before measuring: the first cookie's connection answers exactly the expected
 * body, and a connection without a cookie is closed with the route's `anonymousStatus` (4401).
 */
export async function checkWebSocketTarget(target: LoadTarget): Promise<string[]> {
  const problems: string[] = [];
  const socket = await connect(target, target.cookies[0]);
  const result = await exchange(socket, target.route.body ?? '');
  socket.terminate();
  if (!('answer' in result) || result.answer !== target.expectBody) {
    problems.push(`expected ${target.expectBody}, got ${JSON.stringify(result)}`);
  }
  if (target.anonymousStatus !== null) {
    const anonymous = await connect(target, undefined);
    const closed = await exchange(anonymous, target.route.body ?? '');
    anonymous.terminate();
    if (!('closed' in closed) || closed.closed !== target.anonymousStatus) {
      problems.push(`without a cookie expected close code ${target.anonymousStatus}, got ${JSON.stringify(closed)}`);
    }
  }
  return problems;
}
