import { readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import type { FastifyReply } from 'fastify';

/**
 * `sample-app/public/`: the pages' HTML, CSS and scripts, served as they are (no build step).
 * Resolved from this file, so it is found from the source (`sample-app/pages/*.ts`, as Vitest
 * runs it) and from the build (`dist/sample-app/pages/*.js`; `npm run build:sample-app` copies the folder).
 */
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/**
 * The pages allow only their own origin's scripts, styles, images and `fetch` (so no inline
 * script or style can run, even if some text ever got into the page unescaped), refuse to be
 * framed (clickjacking the "End session" buttons), and must not be sniffed as another type.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  // The HTML holds no user data, but it changes with each release of the app.
  'Cache-Control': 'no-cache',
};

/** Stylesheets, scripts and images: every file of `PUBLIC_DIR` but the pages. */
export const ASSET_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The names of the files `GET /assets/:name` serves, read once at startup. */
export function listAssets(): Set<string> {
  return new Set(readdirSync(PUBLIC_DIR).filter((name) => extname(name) in ASSET_TYPES));
}

/** The headers a file of `PUBLIC_DIR` is sent with: `PAGE_HEADERS` for a page, its type for the others. */
export function publicFileHeaders(file: string): Record<string, string> {
  const extension = extname(file);
  return extension === '.html'
    ? { 'Content-Type': 'text/html; charset=utf-8', ...PAGE_HEADERS }
    : { 'Content-Type': ASSET_TYPES[extension] ?? 'application/octet-stream', 'X-Content-Type-Options': 'nosniff' };
}

/**
 * Sends a file of `PUBLIC_DIR` (a name from it, never from a request) with its headers, as the
 * platform sends files: with ETag and Last-Modified, answering HEAD and conditional requests.
 * On Express, `res.sendFile()`; on Fastify, the `reply.sendFile()` of @fastify/static, which
 * `registerFastifyPages()` registers (its `setHeaders` adds the headers there).
 */
export function sendPublicFile(res: Response | FastifyReply, file: string): void {
  if ('raw' in res) {
    void res.sendFile(file);
  } else {
    res.sendFile(file, { root: PUBLIC_DIR, headers: publicFileHeaders(file) });
  }
}
