import { readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';

/**
 * `sample-app/public/`: the pages' HTML, CSS and scripts, served as they are (no build step).
 * Resolved from this file, so it is found from the source (`sample-app/pages/*.ts`, as Vitest
 * runs it) and from the build (`dist/sample-app/pages/*.js`; `npm run build` copies the folder).
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

/** Sends one of the HTML files in `PUBLIC_DIR` with `PAGE_HEADERS`. */
export function sendPage(res: Response, file: 'index.html' | 'sessions.html'): void {
  res.sendFile(file, { root: PUBLIC_DIR, headers: PAGE_HEADERS });
}

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
