/**
 * Load on a variant's route with autocannon's programmatic API, on 127.0.0.1 only. Each
 * connection carries its own session cookie (round-robin over the variant's cookies, set in
 * `setupClient`) and the one bench user agent. A route with `{id}` takes the next of the
 * variant's ids on each request: each id at most once (the check, the priming and the load share
 * them; autocannon builds one request per connection that it never sends).
 * A measurement is valid only when autocannon saw no error, no timeout, no non-2xx answer and no
 * body without the expected user id.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import { BENCH_USER_AGENT, type ReadyMessage } from './protocol.js';
import { percentile } from './stats.js';
import { checkWebSocketTarget, openConnections } from './websocket-load.js';

/** Where and what to send: a child's `ready` message. */
export type LoadTarget = Pick<ReadyMessage, 'port' | 'route' | 'cookies' | 'ids' | 'bodyContains' | 'expectBody' | 'expectStatus' | 'anonymousStatus'>;

/** How many of an id list have been used: a new list (each window's) starts at 0. */
const usedIds = new WeakMap<string[], number>();

/** Whether each request to `route` names an id of its own. */
function takesIds(route: LoadTarget['route']): boolean {
  return route.path.includes('{id}') || route.body?.includes('{id}') === true;
}

/** Where the next request goes, and its body: `{id}` filled with the next unused id. */
function nextRequest(target: LoadTarget): { path: string; body?: string; exhausted: boolean } {
  const { path, body } = target.route;
  if (!takesIds(target.route)) return { path, body, exhausted: false };
  const ids = target.ids ?? [];
  const used = usedIds.get(ids) ?? 0;
  usedIds.set(ids, used + 1);
  // An id that names nothing: the request fails, and so does the measurement.
  const id = ids[used] ?? 'ids-exhausted';
  return { path: path.replaceAll('{id}', id), body: body?.replaceAll('{id}', id), exhausted: used >= ids.length };
}

/** The headers of every request to `target`, with `cookie` when given. */
function headersFor(target: LoadTarget, cookie: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': BENCH_USER_AGENT };
  if (cookie) headers.cookie = cookie;
  if (target.route.body !== undefined) headers['content-type'] = 'application/json';
  if (target.route.sameOrigin) headers.origin = `http://127.0.0.1:${target.port}`;
  return headers;
}

export interface LoadResult {
  /** Responses autocannon completed. */
  requests: number;
  /** Seconds, as autocannon measured the run. */
  duration: number;
  requestsPerSecond: number;
  /** Milliseconds, from every response's own timing (sub-millisecond resolution). */
  latency: { p50: number; p99: number; mean: number; max: number };
  /** autocannon's own (whole-millisecond) percentiles, for reference. */
  autocannonLatency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  statusCodes: Record<string, number>;
  /** Empty when the run is a valid measurement; otherwise what went wrong. */
  problems: string[];
}

export interface LoadOptions {
  connections: number;
  /** Seconds; a run started with `startLoad()` lasts until stopped. */
  duration?: number;
  /** autocannon's sampling interval (ms); also how soon a stop takes effect. */
  sampleIntMs?: number;
}

/** A run under way; `stop()` ends it early and resolves with its result. */
export interface RunningLoad {
  stop(): Promise<LoadResult>;
  done: Promise<LoadResult>;
}

/** Starts load on `target`; it ends after `options.duration` seconds or on `stop()`. */
export function startLoad(target: LoadTarget, options: LoadOptions): RunningLoad {
  const method = target.route.method;
  if (method === 'WS') throw new Error('startLoad() sends HTTP requests; a WS route is measured with websocket-load.ts');
  const latencies: number[] = [];
  let next = 0;
  let exhausted = false;
  const cookies = target.cookies;
  let instance: autocannon.Instance | undefined;
  const done = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${target.port}${target.route.path}`,
        method,
        connections: options.connections,
        duration: options.duration ?? 24 * 3600,
        ...(options.sampleIntMs !== undefined ? { sampleInt: options.sampleIntMs } : {}),
        headers: headersFor(target, undefined),
        ...(target.route.body !== undefined ? { body: target.route.body } : {}),
        ...(takesIds(target.route)
          ? {
              requests: [
                {
                  setupRequest: (request: autocannon.Request) => {
                    const { path, body, exhausted: none } = nextRequest(target);
                    exhausted ||= none;
                    return { ...request, path, ...(body !== undefined ? { body } : {}) };
                  },
                },
              ],
            }
          : {}),
        setupClient:
          cookies.length > 0 ? (client) => client.setHeaders(headersFor(target, cookies[next++ % cookies.length])) : undefined,
        verifyBody: (body) => String(body).includes(target.bodyContains),
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else {
          const loadResult = toLoadResult(result, latencies);
          if (exhausted) loadResult.problems.push(`ran out of ids (${target.ids?.length ?? 0} for the window)`);
          resolve(loadResult);
        }
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
    });
  });
  return {
    done,
    stop: () => {
      instance?.stop();
      return done;
    },
  };
}

/** One measurement of `duration` seconds (of WebSocket messages for a `WS` route). */
export async function runLoad(target: LoadTarget, options: LoadOptions & { duration: number }): Promise<LoadResult> {
  if (target.route.method === 'WS') return (await openConnections(target, options.connections)).run(options.duration);
  return startLoad(target, options).done;
}

function toLoadResult(result: autocannon.Result, latencies: number[]): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
  );
  const problems: string[] = [];
  if (result.errors > 0) problems.push(`${result.errors} errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx (${JSON.stringify(statusCodes)})`);
  if (result.mismatches > 0) problems.push(`${result.mismatches} bodies without the expected user id`);
  if (result.requests.total === 0) problems.push('no response at all');
  const mean = sorted.length > 0 ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : NaN;
  return {
    requests: result.requests.total,
    duration: result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    latency: {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      mean,
      max: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
    },
    autocannonLatency: { p50: result.latency.p50, p99: result.latency.p99 },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    statusCodes,
    problems,
  };
}

/** One plain HTTP request with the bench user agent; resolves with status and body. */
function request(target: LoadTarget, cookie: string | undefined): Promise<{ status: number; body: string }> {
  const { path, body } = nextRequest(target);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: target.port, path, method: target.route.method, headers: headersFor(target, cookie) },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Checks a variant before it is measured: the first cookie's request gets 200 (or the
 * variant's `expectStatus`) and exactly the expected body (the authenticated route returns that
 * session's user id), and a request without a cookie gets the route's anonymous status (401
 * where a session is required).
 * Returns what was wrong, or an empty list.
 */
export async function checkTarget(target: LoadTarget): Promise<string[]> {
  if (target.route.method === 'WS') return checkWebSocketTarget(target);
  const problems: string[] = [];
  const signedIn = await request(target, target.cookies[0]);
  const status = target.expectStatus ?? 200;
  if (signedIn.status !== status || signedIn.body !== target.expectBody) {
    problems.push(`expected ${status} ${target.expectBody}, got ${signedIn.status} ${signedIn.body.slice(0, 200)}`);
  }
  if (target.anonymousStatus !== null) {
    const anonymous = await request(target, undefined);
    if (anonymous.status !== target.anonymousStatus) {
      problems.push(`without a cookie expected ${target.anonymousStatus}, got ${anonymous.status}`);
    }
  }
  return problems;
}

/**
 * One request per cookie, all at once, outside any measurement: every session still answers
 * 200 (or `expectStatus`) with a body that contains the expected user id. Returns what was wrong.
 */
export async function primeTarget(target: LoadTarget): Promise<string[]> {
  // A WebSocket window opens its connections, each answering once, before it starts.
  if (target.route.method === 'WS') return [];
  const answers = await Promise.all(target.cookies.map((cookie) => request(target, cookie)));
  const wrong = answers.filter((answer) => answer.status !== (target.expectStatus ?? 200) || !answer.body.includes(target.bodyContains));
  return wrong.length === 0
    ? []
    : [`${wrong.length} of ${answers.length} sessions failed before the load (first: ${wrong[0].status} ${wrong[0].body.slice(0, 120)})`];
}

