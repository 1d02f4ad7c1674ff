import type { ServerResponse } from 'node:http';

type End = ServerResponse['end'];

/** The answer while the session store is unreachable: the client may retry. */
export const STORE_UNAVAILABLE = { statusCode: 503, message: 'The session store is unavailable; please retry shortly.' } as const;

/**
 * Answers with a JSON error in Nest's shape, in place of whatever the app had set: a refused
 * cross-origin request (403), or a session that could not be loaded or written (503 while the
 * database is unreachable: retry, rather than "done" with a cookie that means nothing; 500 for
 * data the column cannot hold).
 */
export function answerWithError(response: ServerResponse, end: End, status: number, error: object): void {
  const body = JSON.stringify(error);
  for (const name of response.getHeaderNames()) response.removeHeader(name);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  (end as (chunk: string) => ServerResponse).call(response, body);
}
