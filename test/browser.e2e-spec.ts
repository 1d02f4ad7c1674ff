import type { INestApplication } from '@nestjs/common';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { FAST_SIGN_INS } from './support/sample-app.js';
import { requiredServices } from './support/services.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { LiveSessionsService, Session, UserSessionsEntities, UserSessionsEvents, type NewDeviceEvent } from '../lib/index.js';
import { AppModule } from '../sample-app/app.module.js';
import { setupOpenApi } from '../sample-app/openapi.js';
import { createSampleApp } from '../sample-app/platform.js';

/**
 * The sample app's pages in a real Chromium (Debian's `chromium` package; playwright-core
 * only drives it, it never downloads a browser). Without Chromium the suite is skipped with
 * the reason in its title; `USER_SESSIONS_REQUIRE=chromium` (or `all`) makes that a failure.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM}`;
if (SKIP !== null) {
  if (requiredServices().has('chromium')) {
    throw new Error(`Chromium is required (USER_SESSIONS_REQUIRE) but there is ${SKIP}; install Debian's chromium package or set CHROMIUM_PATH`);
  }
  console.log(`[skip] Chromium browser suite: ${SKIP}`);
}

const WINDOWS_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SCREENSHOTS = fileURLToPath(new URL('../.screenshots/', import.meta.url));
const STEP_TIMEOUT = 5_000;

describe.skipIf(SKIP !== null)(SKIP === null ? 'sample app in Chromium' : `sample app in Chromium (skipped: ${SKIP})`, () => {
  let database: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let url: string;
  const contexts: BrowserContext[] = [];
  /** Console errors and uncaught exceptions of every page, CSP violations included. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    // As main.ts makes it: with the WebSocket adapter of the live sessions page.
    app = await createSampleApp(AppModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true }, FAST_SIGN_INS), 'express', undefined, {
      logger: ['error'],
    });
    setupOpenApi(app);
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 15_000,
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  beforeEach(async () => {
    for (const entity of UserSessionsEntities) await app.get(DataSource).getRepository(entity).clear();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    // No page logged an error or threw: a CSP violation (an inline script or style) would.
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  /** A browser of its own (cookies and all) with this user agent and window size. */
  async function device(userAgent: string, viewport: { width: number; height: number }, locale = 'en-US'): Promise<Page> {
    const context = await browser.newContext({ baseURL: url, userAgent, viewport, locale });
    context.setDefaultTimeout(STEP_TIMEOUT);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      // A signed-out page's API call answers 401, and Chromium logs every failed fetch; so is
      // the 403 of "re-authentication required" and of a wrong password when re-authenticating.
      const expected =
        /status of 401/.test(message.text()) ||
        (/status of 403/.test(message.text()) && /\/(account\/sessions(\/[0-9a-f]{64})?|auth\/reauthenticate)$/.test(message.location().url)) ||
        // A used or expired "Was this you?" link: its page says so.
        (/status of (404|410)/.test(message.text()) && /\/account\/devices\/answer\/preview$/.test(message.location().url));
      if (message.type() === 'error' && !expected) {
        pageErrors.push(`${page.url()}: ${message.text()}`);
      }
    });
    return page;
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto('/');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}/account/sessions`);
    await page.locator('#session-rows tr').first().waitFor();
  }

  const rows = (page: Page) => page.locator('#session-rows tr');
  const row = (page: Page, device: string) => rows(page).filter({ hasText: device });
  const endOthers = (page: Page) => page.getByRole('button', { name: 'End all other sessions' });

  /** Resolves when the page shows the sign-in form, having been sent there. */
  async function expectSignInPage(page: Page): Promise<void> {
    await page.waitForURL(`${url}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.title()).toBe('Sign in · User sessions demo');
  }

  it('Swagger UI at /docs renders under its Content-Security-Policy', async () => {
    const page = await device(WINDOWS_CHROME, DESKTOP);
    await page.goto('/docs');
    await expect.poll(() => page.locator('.swagger-ui .info .title').textContent(), { timeout: STEP_TIMEOUT }).toContain('nestjs-user-sessions sample app');
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(0);
  });

  it('a wrong password shows an error and stays on the sign-in page', async () => {
    const page = await device(WINDOWS_CHROME, DESKTOP);
    await page.goto('/');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('bob-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Invalid username or password.');
    expect(page.url()).toBe(`${url}/`);
    await page.screenshot({ path: `${SCREENSHOTS}sign-in-error-desktop.png` });
  });

  it('two devices: each lists both sessions; one ends the other, which is signed out', async () => {
    const laptop = await device(WINDOWS_CHROME, DESKTOP);
    await signIn(laptop, 'alice', 'alice-password');
    expect(await rows(laptop).count()).toBe(1);
    expect(await laptop.locator('#username').textContent()).toBe('alice');
    expect(await endOthers(laptop).isVisible()).toBe(false);

    const phone = await device(IPHONE_SAFARI, PHONE);
    await phone.goto('/');
    await phone.screenshot({ path: `${SCREENSHOTS}sign-in-phone.png` });
    await signIn(phone, 'alice', 'alice-password');
    await expect.poll(() => rows(phone).count()).toBe(2);
    // Signed in already, the sign-in page sends you on.
    await phone.goto('/');
    await phone.waitForURL(`${url}/account/sessions`);
    await rows(phone).first().waitFor();

    await laptop.reload();
    await expect.poll(() => rows(laptop).count()).toBe(2);
    const current = laptop.locator('#session-rows tr.current');
    expect(await current.count()).toBe(1);
    // Playwright derives Client Hints from the user agent (Sec-CH-UA-Platform-Version "10.0"
    // for `Windows NT 10.0`), and the library reads versions 1 to 12 as Windows 10.
    expect(await current.locator('td[data-label="Device"]').textContent()).toBe('Chrome on Windows 10');
    expect(await current.locator('td[data-label="Last activity"]').textContent()).toBe('just now (this session)');
    expect(await current.getByRole('button').count()).toBe(0);
    const other = row(laptop, 'Safari on iPhone');
    expect(await other.locator('td[data-label="Device"]').textContent()).toBe('Safari on iPhone');
    expect(await other.locator('td[data-label="Location"]').textContent()).toBe('unknown');
    expect(await other.locator('td[data-label="IP"]').textContent()).toBe('127.0.0.1');
    expect(await other.textContent()).not.toContain('(this session)');
    expect(await other.locator('time').getAttribute('title')).toMatch(/\d{4}/);
    expect(await endOthers(laptop).isVisible()).toBe(true);

    await laptop.screenshot({ path: `${SCREENSHOTS}sessions-desktop.png`, fullPage: true });
    await phone.reload();
    await expect.poll(() => rows(phone).count()).toBe(2);
    await phone.screenshot({ path: `${SCREENSHOTS}sessions-phone.png`, fullPage: true });

    // Ending the phone's session updates the table in place: the marker survives, no reload.
    await laptop.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await other.getByRole('button', { name: 'End session' }).click();
    await expect.poll(() => rows(laptop).count()).toBe(1);
    expect(await laptop.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await row(laptop, 'Safari on iPhone').count()).toBe(0);
    expect(await laptop.getByRole('status').textContent()).toBe('Session ended. That device is signed out.');
    expect(await endOthers(laptop).isVisible()).toBe(false);

    // The phone's page is told by its socket (closed with 4401) and goes to the sign-in form by
    // itself; a reload here would race that navigation.
    await expectSignInPage(phone);
    expect((await phone.context().request.get('/auth/me')).status()).toBe(401);
  });

  it('live, two browsers: a sign-in and an end elsewhere each show within a second, and the ended device shows the sign-in form, without a reload', async () => {
    const live = app.get(LiveSessionsService);
    const laptop = await device(WINDOWS_CHROME, DESKTOP);
    await signIn(laptop, 'alice', 'alice-password');
    await expect.poll(() => live.openConnections).toBe(1);
    await laptop.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    const phone = await device(IPHONE_SAFARI, PHONE);
    await signIn(phone, 'alice', 'alice-password');
    const signedIn = Date.now();
    await expect.poll(() => row(laptop, 'Safari on iPhone').count(), { timeout: 1000, interval: 25 }).toBe(1);
    expect(Date.now() - signedIn).toBeLessThan(1000);
    await expect.poll(() => live.openConnections).toBe(2);

    // The phone signs out: its row leaves the laptop's page.
    await phone.getByRole('button', { name: 'Sign out' }).click();
    const signedOut = Date.now();
    await expect.poll(() => rows(laptop).count(), { timeout: 1000, interval: 25 }).toBe(1);
    expect(Date.now() - signedOut).toBeLessThan(1000);
    await expectSignInPage(phone);

    // Signed in again, the phone's page is ended from the laptop: it shows the sign-in form by itself.
    await signIn(phone, 'alice', 'alice-password');
    await expect.poll(() => row(laptop, 'Safari on iPhone').count(), { timeout: 1000, interval: 25 }).toBe(1);
    await expect.poll(() => live.openConnections).toBe(2);
    await row(laptop, 'Safari on iPhone').getByRole('button', { name: 'End session' }).click();
    const ended = Date.now();
    await phone.waitForURL(`${url}/`, { timeout: 1000 });
    expect(Date.now() - ended).toBeLessThan(1000);
    await expectSignInPage(phone);
    expect(await laptop.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await rows(laptop).count()).toBe(1);
  });

  it('"Your devices" and "Recent activity", in English on a desktop and in German on a phone; "No, this was not me" from the alert signs the phone out', async () => {
    const alerts: NewDeviceEvent[] = [];
    app.get(EventEmitter2).on(UserSessionsEvents.newDevice, (event: NewDeviceEvent) => void alerts.push(event));
    const laptop = await device(WINDOWS_CHROME, DESKTOP);
    await signIn(laptop, 'alice', 'alice-password');
    const devices = (page: Page) => page.locator('#devices li');
    const activity = (page: Page) => page.locator('#activity li');
    await expect.poll(() => devices(laptop).count()).toBe(1);
    expect(await devices(laptop).first().textContent()).toMatch(/^Chrome on Windows 10 \(this device\)not confirmed · last sign-in just now$/);
    await expect.poll(() => activity(laptop).allTextContents()).toEqual([
      expect.stringMatching(/^New device · this sessionjust now · Chrome on Windows$/),
      expect.stringMatching(/^Signed in · this sessionjust now · Chrome on Windows$/),
    ]);

    // The phone reads German: the page's words, and the API's device names, follow its language.
    const phone = await device(IPHONE_SAFARI, PHONE, 'de-DE');
    await phone.goto('/');
    await phone.getByLabel('Username').fill('alice');
    await phone.getByLabel('Password').fill('alice-password');
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.waitForURL(`${url}/account/sessions`);
    await phone.getByRole('heading', { name: 'Aktive Sitzungen' }).waitFor();
    expect(await phone.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang)).toBe('de');
    await expect.poll(() => devices(phone).count()).toBe(2);
    expect(await devices(phone).first().textContent()).toMatch(/^Safari auf iPhone \(dieses Gerät\)nicht bestätigt · letzte Anmeldung gerade eben$/);
    await expect.poll(() => activity(phone).first().textContent()).toMatch(/^Neues Gerät · diese Sitzunggerade eben · Safari auf iPhone$/);
    expect(await phone.getByRole('heading', { name: 'Ihre Geräte' }).isVisible()).toBe(true);
    expect(await phone.getByRole('heading', { name: 'Letzte Aktivitäten' }).isVisible()).toBe(true);
    expect(await phone.locator('td[data-label="Gerät"]').first().textContent()).toBe('Safari auf iPhone');
    // Nothing wider than the phone's screen.
    expect(await phone.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await phone.screenshot({ path: `${SCREENSHOTS}account-phone-de.png`, fullPage: true });

    // The laptop hears of the new device live.
    await expect.poll(() => devices(laptop).count()).toBe(2);
    await laptop.screenshot({ path: `${SCREENSHOTS}account-desktop.png`, fullPage: true });

    // The alert e-mail's "No" link, opened where nobody is signed in: it asks first, then acts.
    expect(alerts.map((alert) => alert.device)).toEqual(['Chrome on Windows 10', 'Safari on iPhone']);
    const mail = await device(WINDOWS_CHROME, PHONE);
    await mail.goto(`/devices/answer#token=${encodeURIComponent(alerts[1].answers.reportToken)}`);
    await mail.getByRole('button', { name: 'No, this was not me: sign it out' }).waitFor();
    expect(await mail.locator('#device').textContent()).toBe('Safari on iPhone');
    // The token is not left in the address bar.
    expect(mail.url()).toBe(`${url}/devices/answer`);
    await mail.screenshot({ path: `${SCREENSHOTS}device-answer-phone.png`, fullPage: true });
    await mail.getByRole('button', { name: 'No, this was not me: sign it out' }).click();
    await expect.poll(() => mail.getByRole('status').textContent()).toBe('We signed that device out (1 session ended). Change your password now.');
    await expectSignInPage(phone);
    await expect.poll(() => laptop.locator('#devices li[data-trust="reported"]').textContent()).toMatch(/^Safari on iPhone.*reported: not you/);
    await expect.poll(() => activity(laptop).first().textContent()).toMatch(/^Device reported as not you/);

    // The same link again: used.
    await mail.goto('about:blank');
    await mail.goto(`/devices/answer#token=${encodeURIComponent(alerts[1].answers.reportToken)}`);
    await expect.poll(() => mail.getByRole('status').textContent()).toBe('This link is not valid: it was mistyped, or it was used already.');

    // alice's next sign-in tells her to change her password (the app's listener of device-reported).
    const next = await device(WINDOWS_CHROME, DESKTOP);
    await next.goto('/');
    await next.getByLabel('Username').fill('alice');
    await next.getByLabel('Password').fill('alice-password');
    await next.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => next.locator('#security-notice-text').textContent()).toMatch(/^You said a sign-in from Safari on iPhone was not you: we signed that device out\. .*change it now\.$/);
    await next.getByRole('button', { name: 'Review your sessions' }).click();
    await next.waitForURL(`${url}/account/sessions`);
  });

  it('unknown devices, and activity minutes, hours and days ago, read as people say them', async () => {
    const laptop = await device(WINDOWS_CHROME, DESKTOP);
    await signIn(laptop, 'alice', 'alice-password');
    const FIREFOX_NO_OS = 'Mozilla/5.0 (rv:128.0) Gecko/20100101 Firefox/128.0';
    for (const userAgent of [FIREFOX_NO_OS, 'unknown-client', IPHONE_SAFARI]) {
      const context = await browser.newContext({ baseURL: url, userAgent });
      contexts.push(context);
      expect((await context.request.post('/auth/login', { data: { username: 'alice', password: 'alice-password' } })).status()).toBe(200);
    }
    const sessions = app.get(DataSource).getRepository(Session);
    const ago = (ms: number) => new Date(Date.now() - ms);
    await sessions.update({ userAgent: FIREFOX_NO_OS }, { lastActivity: ago(5 * 60_000 + 5_000) });
    await sessions.update({ userAgent: 'unknown-client' }, { userAgent: null, lastActivity: ago(3 * 3_600_000 + 60_000) });
    await sessions.update({ userAgent: IPHONE_SAFARI }, { lastActivity: ago(2 * 86_400_000 + 60_000) });

    await laptop.reload();
    await expect.poll(() => rows(laptop).count()).toBe(4);
    const column = (label: string) => laptop.locator(`#session-rows td[data-label="${label}"]`).allTextContents();
    expect(await column('Device')).toEqual(['Chrome on Windows 10', 'Firefox on unknown', 'unknown on unknown', 'Safari on iPhone']);
    expect(await column('Last activity')).toEqual(['just now (this session)', '5 minutes ago', '3 hours ago', '2 days ago']);
    expect(await column('Location')).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(await laptop.getByRole('button', { name: 'End session' }).count()).toBe(3);
  });

  it('"End all other sessions" ends every other session, and sign out ends this one', async () => {
    const laptop = await device(WINDOWS_CHROME, DESKTOP);
    await signIn(laptop, 'alice', 'alice-password');
    expect(await endOthers(laptop).isVisible()).toBe(false);
    // Two more devices, signed in through the API (the form is tested above): each context's
    // `request` shares its cookies.
    const others: BrowserContext[] = [];
    for (const userAgent of [IPHONE_SAFARI, IPHONE_SAFARI.replace('iPhone;', 'iPad;').replace('iPhone OS', 'OS')]) {
      const context = await browser.newContext({ baseURL: url, userAgent });
      contexts.push(context);
      others.push(context);
      expect((await context.request.post('/auth/login', { data: { username: 'alice', password: 'alice-password' } })).status()).toBe(200);
    }

    await laptop.reload();
    await expect.poll(() => rows(laptop).count()).toBe(3);
    expect(await row(laptop, 'Safari on iPad').count()).toBe(1);
    await endOthers(laptop).click();
    await expect.poll(() => rows(laptop).count()).toBe(1);
    expect(await laptop.getByRole('status').textContent()).toBe('Ended 2 other sessions.');
    expect(await endOthers(laptop).isVisible()).toBe(false);
    for (const ended of others) {
      expect((await ended.request.get('/auth/me')).status()).toBe(401);
    }

    await laptop.getByRole('button', { name: 'Sign out' }).click();
    await expectSignInPage(laptop);
    await laptop.goto('/account/sessions');
    await expectSignInPage(laptop);
    expect((await laptop.context().request.get('/auth/me')).status()).toBe(401);
  });

  it('"End session" and "End all other sessions" ask for the password again when it was entered over 5 minutes ago', async () => {
    const laptop = await device(WINDOWS_CHROME, DESKTOP);
    await signIn(laptop, 'alice', 'alice-password');
    const phone = await browser.newContext({ baseURL: url, userAgent: IPHONE_SAFARI });
    contexts.push(phone);
    expect((await phone.request.post('/auth/login', { data: { username: 'alice', password: 'alice-password' } })).status()).toBe(200);
    // The laptop's password entry, 10 minutes ago: moved in its row, the clocks stay real.
    const sessions = app.get(DataSource).getRepository(Session);
    const row = await sessions.findOneByOrFail({ userAgent: WINDOWS_CHROME });
    const data = JSON.parse(row.data);
    data.__userSessions.authenticatedAt -= 10 * 60_000;
    await sessions.update({ id: row.id }, { data: JSON.stringify(data) });

    await laptop.reload();
    await expect.poll(() => rows(laptop).count()).toBe(2);
    const form = laptop.getByRole('form', { name: 'Confirm it is you' });
    const password = laptop.getByLabel('Password');
    // Ending the one other session asks too: a stolen cookie must not end them one by one.
    await laptop.getByRole('button', { name: 'End session' }).click();
    await form.waitFor();
    await laptop.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'hidden' });
    expect((await phone.request.get('/auth/me')).status()).toBe(200);
    // Cancel: nothing ended, the button works again.
    await endOthers(laptop).click();
    await form.waitFor();
    const focused = () => laptop.evaluate(() => (globalThis as { document?: { activeElement?: { id: string } } }).document?.activeElement?.id);
    expect(await focused()).toBe('reauth-password');
    await laptop.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'hidden' });
    expect(await endOthers(laptop).isEnabled()).toBe(true);
    expect(await focused()).toBe('end-others');
    expect((await phone.request.get('/auth/me')).status()).toBe(200);

    await endOthers(laptop).click();
    await password.fill('bob-password');
    await laptop.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => laptop.getByRole('alert').textContent()).toBe('Wrong password. Try again.');
    await laptop.screenshot({ path: `${SCREENSHOTS}sessions-reauthenticate-desktop.png`, fullPage: true });
    expect((await phone.request.get('/auth/me')).status()).toBe(200);

    await password.fill('alice-password');
    await laptop.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => rows(laptop).count()).toBe(1);
    expect(await laptop.getByRole('status').textContent()).toBe('Ended 1 other session.');
    expect(await form.isVisible()).toBe(false);
    expect((await phone.request.get('/auth/me')).status()).toBe(401);
    // Re-authenticating gave the laptop a new key; the page goes on with it.
    await laptop.reload();
    await expect.poll(() => rows(laptop).count()).toBe(1);
  });
});
