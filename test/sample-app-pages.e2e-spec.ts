import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { describeEachPlatform } from './support/platforms.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import type { SessionView } from '../lib/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { createSampleApp } from '../sample-app/platform.js';

const ALICE = { username: 'alice', password: 'alice-password' };
/** What Chromium sends for a navigation. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';

// The pages are static files and a middleware, the same on every database: SQLite is enough.
describeEachPlatform('sample app pages on SQLite', (platform) => {
  let database: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await createSampleApp(AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, FAST_SIGN_INS), platform, undefined, {
      logger: ['error'],
      abortOnError: false,
    });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  function expectPageHeaders(response: request.Response): void {
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    // Nor does it name the framework that served it.
    expect(response.headers['x-powered-by']).toBeUndefined();
  }

  /** The page loads only its own files, and has nothing inline that the CSP would block. */
  function expectNoInlineCode(html: string): void {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style[\s>]/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  }

  it('GET / is the sign-in page: a username and password form and the demo users', async () => {
    const response = await request(url).get('/').set('Accept', BROWSER_ACCEPT).expect(200);
    expectPageHeaders(response);
    expectNoInlineCode(response.text);
    expect(response.text).toContain('<form id="sign-in-form"');
    expect(response.text).toMatch(/<input id="username" name="username"/);
    expect(response.text).toMatch(/<input id="password" name="password" type="password"/);
    expect(response.text).toContain('<script src="/assets/sign-in.js" defer></script>');
    expect(response.text).toContain('<code>alice</code> / <code>alice-password</code>');
    expect(response.text).toContain('<code>bob</code> / <code>bob-password</code>');
  });

  it('GET /account/sessions from a browser is the "Active sessions" page, signed in or not', async () => {
    const signedOut = await request(url).get('/account/sessions').set('Accept', BROWSER_ACCEPT).expect(200);
    expectPageHeaders(signedOut);
    expectNoInlineCode(signedOut.text);
    expect(signedOut.headers.vary).toMatch(/\bAccept\b/i);
    expect(signedOut.text).toContain('<h1 id="title" tabindex="-1" data-text="title">Active sessions</h1>');
    expect(signedOut.text).toContain('<script src="/assets/sessions.js" defer></script>');

    const agent = request.agent(url);
    const login = await agent.post('/auth/login').send(ALICE).expect(200);
    const key = /sessionid=([^;]+)/.exec(String(login.headers['set-cookie']))![1];
    const signedIn = await agent.get('/account/sessions').set('Accept', 'text/html').expect(200);
    expectPageHeaders(signedIn);
    expect(signedIn.text).toBe(signedOut.text);
    expect(signedIn.text).not.toContain(key);
  });

  it.each([
    ['application/json', 'application/json'],
    ['no Accept', undefined],
    ['*/* (curl)', '*/*'],
    ['JSON listed before HTML', 'application/json, text/html'],
    ['JSON ranked above HTML', 'text/html;q=0.5, application/json'],
  ])('GET /account/sessions with %s is the JSON API: 401 signed out, the list signed in', async (_, accept) => {
    const signedOut = request(url).get('/account/sessions');
    if (accept !== undefined) signedOut.set('Accept', accept);
    const refused = await signedOut.expect(401);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.headers.vary).toMatch(/\bAccept\b/i);

    const agent = request.agent(url);
    await agent.post('/auth/login').send(ALICE).expect(200);
    const signedIn = agent.get('/account/sessions');
    if (accept !== undefined) signedIn.set('Accept', accept);
    const listed = await signedIn.expect(200);
    expect(listed.headers['content-type']).toMatch(/^application\/json/);
    const sessions: SessionView[] = listed.body;
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
  });

  it('only GET serves the page: DELETE with a browser Accept is still the API', async () => {
    await request(url).delete('/account/sessions').set('Accept', BROWSER_ACCEPT).expect(401);
    const agent = request.agent(url);
    await agent.post('/auth/login').send(ALICE).expect(200);
    const ended = await agent.delete('/account/sessions').set('Accept', BROWSER_ACCEPT).expect(200);
    expect(ended.body).toEqual({ deleted: expect.any(Number) });
  });

  it.each([
    ['app.css', 'text/css; charset=utf-8'],
    ['sessions.js', 'text/javascript; charset=utf-8'],
    ['sign-in.js', 'text/javascript; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml'],
  ])('/assets/%s is served as %s', async (name, type) => {
    const response = await request(url).get(`/assets/${name}`).expect(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(response.headers['content-length'])).toBeGreaterThan(100);
  });

  it('pages and assets are revalidated with their ETag (Cache-Control: no-cache on the pages)', async () => {
    for (const path of ['/', '/assets/app.css']) {
      const first = await request(url).get(path).set('Accept', 'text/html').expect(200);
      expect(first.headers.etag).toBeDefined();
      expect(first.headers['last-modified']).toBeDefined();
      await request(url).get(path).set('If-None-Match', first.headers.etag).expect(304);
    }
    const page = await request(url).get('/account/sessions').set('Accept', BROWSER_ACCEPT).expect(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    await request(url).get('/account/sessions').set('Accept', BROWSER_ACCEPT).set('If-None-Match', page.headers.etag).expect(304);
  });

  it('every file the pages link to is served', async () => {
    for (const page of ['/', '/account/sessions']) {
      const html = (await request(url).get(page).set('Accept', 'text/html').expect(200)).text;
      const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      expect(links.length).toBeGreaterThanOrEqual(3);
      for (const link of links) {
        await request(url).get(link).expect(200);
      }
    }
  });

  it.each([
    '/assets/index.html',
    '/assets/missing.js',
    '/assets/..%2Fpages%2Fpages.module.ts',
    '/assets/%2e%2e%2fapp.module.ts',
    '/assets/',
  ])('%s is a 404', async (path) => {
    await request(url).get(path).expect(404);
  });

  it("the pages' same-origin requests pass the Origin check; a foreign origin is refused", async () => {
    await request(url).post('/auth/login').set('Origin', url).send(ALICE).expect(200);
    await request(url).post('/auth/login').set('Origin', 'https://evil.example').send(ALICE).expect(403);
  });
});
