import { UAParser } from 'ua-parser-js';
import { describe, expect, it, vi } from 'vitest';
import { browser, clearDeviceCache, device, platform } from './device.js';
import { SUPPORTED_LOCALES } from './locale.js';

// Counts how often a user agent is parsed (ua-parser-js 1 has no prototype methods to spy on).
vi.mock('ua-parser-js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('ua-parser-js')>();
  return { ...actual, UAParser: vi.fn(function (userAgent?: string) { return new actual.UAParser(userAgent); }) };
});

// Real user agents, desktop and mobile, old and current, with what a person should read.
// The first block is every real user agent of django-user-sessions' template-filter tests,
// with this project's naming (Windows keeps the version the user agent can tell).
const USER_AGENTS: [string, string | null][] = [
  // --- from the seed project's tests
  ['Mozilla/4.0 (Windows; MSIE 6.0; Windows NT 5.1; SV1; .NET CLR 2.0.50727)', 'Internet Explorer on Windows XP'],
  ['Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.0; Trident/4.0; SLCC1; .NET CLR 2.0.50727; .NET CLR 1.1.4322; InfoPath.2; .NET CLR 3.5.21022; .NET CLR 3.5.30729; MS-RTC LM 8; OfficeLiveConnector.1.4; OfficeLivePatch.1.3; .NET CLR 3.0.30729)', 'Internet Explorer on Windows Vista'],
  ['Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)', 'Internet Explorer on Windows 7'],
  ['Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Win64; x64; Trident/6.0)', 'Internet Explorer on Windows 8'],
  ['Mozilla/5.0 (IE 11.0; Windows NT 6.3; Trident/7.0; .NET4.0E; .NET4.0C; rv:11.0) like Gecko', 'Internet Explorer on Windows 8.1'],
  ['Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.10136', 'Edge on Windows'],
  ['Mozilla/5.0 (Windows Mobile 10; Android 8.0.0; Microsoft; Lumia 950XL) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.62 Mobile Safari/537.36 Edge/40.15254.369', 'Edge on Windows Mobile'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.113 Safari/537.36 Edg/81.0.416.62', 'Edge on Windows'],
  ['Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:22.0) Gecko/20130328 Firefox/22.0', 'Firefox on Windows 7'],
  ['Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.101 Safari/537.36', 'Chrome on Windows 8.1'],
  ['Mozilla/5.0 (iPad; U; CPU OS 4_2_1 like Mac OS X; ja-jp) AppleWebKit/533.17.9 (KHTML, like Gecko) Version/5.0.2 Mobile/8C148 Safari/6533.18.5', 'Safari on iPad'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 7_0 like Mac OS X) AppleWebKit/537.51.1 (KHTML, like Gecko) Version/7.0 Mobile/11A465 Safari/9537.53', 'Safari on iPhone'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4178.0 Safari/537.36', 'Chrome on macOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:77.0) Gecko/20100101 Firefox/77.0', 'Firefox on macOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_8_2) AppleWebKit/536.26.17 (KHTML, like Gecko) Version/6.0.2 Safari/536.26.17', 'Safari on macOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.102 Safari/537.36 Edg/85.0.564.51', 'Edge on macOS'],
  ['Mozilla/5.0 (Linux; U; Android 1.5; de-de; HTC Magic Build/CRB17) AppleWebKit/528.5+ (KHTML, like Gecko) Version/3.1.2 Mobile Safari/525.20.1', 'Android Browser on Android'], // the seed says Safari: its regex saw "Safari"
  ['Mozilla/5.0 (Linux; Android 11; Pixel 3 XL) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/77.0.3865.116 Mobile Safari/537.36 EdgA/45.07.4.5059', 'Edge on Android'],
  // --- the seed's made-up strings, as far as they name something
  ['Not a legit OS Firefox/51.0', 'Firefox'],
  ['Not a legit OS Chrome/54.0.32', 'Chrome'],
  ['Linux not a real browser/10.3', 'Linux'],
  ['Windows NT 5.1 not a real browser/10.3', 'Windows XP'],
  ['Windows not a real browser/10.3', 'Windows'],

  // --- current desktop browsers (frozen OS versions: never a wrong version)
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Windows'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge on Windows'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Windows'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0', 'Opera on Windows'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 YaBrowser/24.12.0.0 Safari/537.36', 'Yandex Browser on Windows'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18', 'Vivaldi on Windows'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Brave Chrome/131.0.0.0 Safari/537.36', 'Brave on Windows'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'Safari on macOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on macOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on macOS'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge on macOS'],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
  ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
  ['Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
  ['Mozilla/5.0 (X11; Linux aarch64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on Linux'],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
  ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Chrome OS'],
  // --- older desktop
  ['Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36', 'Chrome on Windows 7'],
  ['Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36', 'Chrome on Windows 8'],
  ['Mozilla/5.0 (Windows NT 6.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36', 'Chrome on Windows Vista'],
  ['Mozilla/5.0 (Windows NT 5.1; rv:52.0) Gecko/20100101 Firefox/52.0', 'Firefox on Windows XP'],
  ['Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko', 'Internet Explorer on Windows 7'],
  ['Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18', 'Opera on Windows 7'],
  // --- iPhone and iPad (every iOS browser is WebKit; the token names the app)
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', 'Safari on iPhone'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', 'Chrome on iPhone'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15', 'Firefox on iPhone'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15', 'Edge on iPhone'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.45.109;FBBV/640184444]', 'Facebook on iPhone'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 345.0.0.25.79', 'Instagram on iPhone'],
  ['Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1', 'Safari on iPad'],
  ['Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', 'Chrome on iPad'],
  ['Mozilla/5.0 (iPod touch; CPU iPhone OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1', 'Safari on iPod touch'],
  // --- Android
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
  ['Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36', 'Samsung Internet on Android'],
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0', 'Edge on Android'],
  ['Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0', 'Firefox on Android'],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36', 'Chrome on Android'],
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0', 'Opera on Android'],
  ['Mozilla/5.0 (Linux; U; Android 10; en-US; RMX2020 Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36', 'UC Browser on Android'],
  ['Mozilla/5.0 (Linux; Android 13; 2201117TG) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.10.0-gn', 'MIUI Browser on Android'],
  ['Mozilla/5.0 (Linux; Android 10; ELE-L29; HMSCore 6.11.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.1.303 Mobile Safari/537.36', 'Huawei Browser on Android'],
  ['Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 DuckDuckGo/5', 'DuckDuckGo on Android'],
  ['Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.2.1 like Chrome/131.0.6778.108 Safari/537.36', 'Silk on Android'],
  ['Mozilla/5.0 (Linux; Android 12; SM-T870) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on Android'],
  // --- Windows phones
  ['Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.14977', 'Edge on Windows Phone'],
  ['Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0; NOKIA; Lumia 800)', 'Internet Explorer on Windows Phone'],
  // --- crawlers, scripts and junk: a sensible name or null, never an exception
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Googlebot'],
  ['curl/8.5.0', 'curl'],
  ['python-requests/2.32.3', 'python-requests'],
  ['Wget/1.21.3', 'Wget'],
  ['', null],
  ['-', null],
  ['\u0000\u0001\u0002', null],
];

describe('device()', () => {
  it('covers at least 60 real user agents', () => {
    expect(USER_AGENTS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(USER_AGENTS)('%s → %s', (userAgent, expected) => {
    expect(device(userAgent)).toBe(expected);
  });

  it('is null for null, undefined and blank', () => {
    expect(device(null)).toBeNull();
    expect(device(undefined)).toBeNull();
    expect(device('   ')).toBeNull();
  });

  it('never throws on 64 KB of arbitrary bytes', () => {
    const bytes = Buffer.alloc(65_536);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    expect(() => device(bytes.toString('latin1'))).not.toThrow();
    expect(() => device('Mozilla/5.0 ('.repeat(5000))).not.toThrow();
  });
});

describe('browser() and platform()', () => {
  it('name the two halves', () => {
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
    expect(browser(iphone)).toBe('Safari');
    expect(platform(iphone)).toBe('iPhone');
    expect(browser('Linux not a real browser/10.3')).toBeNull();
    expect(platform('Not a legit OS Firefox/51.0')).toBeNull();
  });
});

describe('Client Hints', () => {
  const windows10 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

  it('tell Windows 11 from Windows 10 where the user agent cannot', () => {
    expect(device(windows10, { platform: 'Windows', platformVersion: '15.0.0' })).toBe('Chrome on Windows 11');
    expect(device(windows10, { platform: 'Windows', platformVersion: '13.0.0' })).toBe('Chrome on Windows 11');
    expect(device(windows10, { platform: 'Windows', platformVersion: '10.0.0' })).toBe('Chrome on Windows 10');
    expect(device(windows10, { platform: 'Windows', platformVersion: null })).toBe('Chrome on Windows');
    expect(device(windows10, { platform: 'Windows', platformVersion: 'junk' })).toBe('Chrome on Windows');
  });

  it('never replace what the user agent tells better, and fill in what it lacks', () => {
    const win7 = 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36';
    expect(platform(win7, { platform: 'Windows', platformVersion: '0.1.0' })).toBe('Windows 7');
    // Chromium with a Windows 8.1 user agent (overridden) still sends hints; they may not make it Windows 10.
    const win81 = 'Mozilla/5.0 (Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    expect(device(win81, { platform: 'Windows', platformVersion: '6.3' })).toBe('Chrome on Windows 8.1');
    expect(device(win81, { platform: 'Windows', platformVersion: '15.0.0' })).toBe('Chrome on Windows 8.1');
    const android = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
    expect(platform(android, { platform: 'Android', platformVersion: '14.0.0' })).toBe('Android');
    expect(platform('Not a legit OS Chrome/54.0.32', { platform: 'Chrome OS' })).toBe('Chrome OS');
    expect(platform('Not a legit OS Chrome/54.0.32', { platform: 'macOS', platformVersion: '15.1.0' })).toBe('macOS');
    expect(platform(windows10, { platform: 'Unknown' })).toBe('Windows');
  });
});

describe('the parse cache', () => {
  it('returns the same answers cold and warm', () => {
    const userAgent = USER_AGENTS[0][0];
    clearDeviceCache();
    const cold = device(userAgent);
    expect(device(userAgent)).toBe(cold);
  });
});

describe('in other languages', () => {
  const windows = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
  const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
  const androidBrowser = USER_AGENTS.find(([, name]) => name === 'Android Browser on Android')![0];

  it.each([
    ['ar', 'Chrome على Windows'],
    ['de', 'Chrome auf Windows'],
    ['en', 'Chrome on Windows'],
    ['es', 'Chrome en Windows'],
    ['fr', 'Chrome sur Windows'],
    ['he', 'Chrome על Windows'],
    ['it', 'Chrome su Windows'],
    ['ja', 'Windows 上の Chrome'],
    ['nl', 'Chrome op Windows'],
    ['pl', 'Chrome na Windows'],
    ['pt-BR', 'Chrome no Windows'],
    ['ru', 'Chrome на Windows'],
    ['zh-CN', 'Windows 上的 Chrome'],
  ])('%s: %s', (locale, expected) => {
    expect(device(windows, null, locale)).toBe(expected);
  });

  it('finds the language of a tag it has no table for by name', () => {
    expect(device(iphone, null, 'de-AT')).toBe('Safari auf iPhone');
    expect(device(iphone, null, 'pt')).toBe('Safari no iPhone');
    expect(device(iphone, null, 'zh-Hans-SG')).toBe('iPhone 上的 Safari');
  });

  it('is English for unsupported locales and junk', () => {
    for (const locale of ['sv', 'zh-TW', '', '*', 'constructor', '__proto__', 'x'.repeat(10_000), undefined]) {
      expect(device(iphone, null, locale)).toBe('Safari on iPhone');
    }
  });

  it('keeps brands and translates generic names, in device(), browser() and platform() alike', () => {
    expect(device(androidBrowser, null, 'de')).toBe('Android-Browser auf Android');
    expect(browser(androidBrowser, 'de')).toBe('Android-Browser');
    expect(browser(androidBrowser, 'fr')).toBe('Navigateur Android');
    expect(browser(androidBrowser)).toBe('Android Browser');
    expect(platform(androidBrowser, null, 'ja')).toBe('Android');
    expect(browser(iphone, 'ru')).toBe('Safari');
    expect(platform(iphone, null, 'ru')).toBe('iPhone');
  });

  it('translates with Client Hints too, and where only one half is known there is no "on"', () => {
    expect(device(windows, { platform: 'Windows', platformVersion: '15.0.0' }, 'fr')).toBe('Chrome sur Windows 11');
    expect(platform(windows, { platform: 'Windows', platformVersion: '15.0.0' }, 'zh-CN')).toBe('Windows 11');
    expect(device('Not a legit OS Firefox/51.0', null, 'de')).toBe('Firefox');
    expect(device('Linux not a real browser/10.3', null, 'ja')).toBe('Linux');
    expect(device('curl/8.5.0', null, 'de')).toBe('curl');
    expect(device('constructor/1.0', null, 'de')).toBe('constructor');
    expect(device('hasOwnProperty/1.0', null, 'de')).toBe('hasOwnProperty');
    expect(device('', null, 'de')).toBeNull();
    expect(device(null, null, 'de')).toBeNull();
  });

  it('parses once per user agent, whatever the languages asked for', () => {
    clearDeviceCache();
    const parses = vi.mocked(UAParser);
    parses.mockClear();
    for (const locale of [undefined, ...SUPPORTED_LOCALES, 'de-AT', 'sv']) {
      device(windows, null, locale);
      browser(iphone, locale);
      platform(iphone, null, locale);
    }
    expect(parses).toHaveBeenCalledTimes(2);
  });
});
