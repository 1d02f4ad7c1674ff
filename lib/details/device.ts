import { UAParser } from 'ua-parser-js';
import { deviceWords, translateName, type DeviceWords } from './device-words.js';
import { LruCache } from './lru-cache.js';

/** User-Agent Client Hints a browser sent (`Sec-CH-UA-Platform`, `Sec-CH-UA-Platform-Version`). */
export interface ClientHints {
  platform?: string | null;
  platformVersion?: string | null;
}

/** The parser's browser names that people know by another name. */
const BROWSER_NAMES: Record<string, string> = {
  'Mobile Safari': 'Safari',
  'Safari': 'Safari',
  'IE': 'Internet Explorer',
  'IEMobile': 'Internet Explorer',
  'Chrome WebView': 'Chrome',
  'Chrome Headless': 'Chrome',
  'Chrome Mobile': 'Chrome',
  'Mobile Chrome': 'Chrome',
  'Mobile Firefox': 'Firefox',
  'Firefox Focus': 'Firefox',
  'Firefox Reality': 'Firefox',
  'Opera Mobi': 'Opera',
  'Opera Mini': 'Opera Mini',
  'Opera Touch': 'Opera',
  'Opera GX': 'Opera GX',
  'Samsung Browser': 'Samsung Internet',
  'Yandex': 'Yandex Browser',
  'UCBrowser': 'UC Browser',
  'Edge': 'Edge',
};

/** Linux distributions the parser names on their own; a person knows them as Linux. */
const LINUX_DISTRIBUTIONS = new Set([
  'Linux', 'Ubuntu', 'Kubuntu', 'Xubuntu', 'Lubuntu', 'Debian', 'Fedora', 'Mint', 'Arch', 'Gentoo',
  'SUSE', 'openSUSE', 'Red Hat', 'RedHat', 'CentOS', 'Mandriva', 'Slackware', 'Linpus', 'Manjaro',
  'Deepin', 'elementary OS', 'Zenwalk', 'Knoppix', 'PCLinuxOS', 'Pop!_OS', 'Raspbian',
]);

/** Windows versions a user agent can still tell apart; NT 10.0 is both 10 and 11 (frozen). */
const NAMED_WINDOWS_VERSIONS = new Set(['XP', 'Vista', '7', '8', '8.1']);

/** ua-parser-js reads at most this much of a user agent; longer ones are cut before caching. */
const MAX_PARSED_LENGTH = 500;
const CACHE_SIZE = 1000;

interface ParsedUserAgent {
  browser: string | null;
  /** The platform from the user agent alone. */
  platform: string | null;
  /** The user agent says `Windows NT 10.0`, frozen for 10 and 11: only there may hints name the version. */
  frozenWindows: boolean;
}

const cache = new LruCache<string, ParsedUserAgent>(CACHE_SIZE);

/**
 * The browser, as people name it: "Chrome", "Safari", "Firefox", "Edge", "Internet Explorer",
 * "Samsung Internet"…; null when the user agent names none. Brands are never translated;
 * with a `locale`, a generic name is ("Android Browser" is "Android-Browser" in `'de'`).
 *
 * @example browser('Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) … Version/18.1 Mobile/15E148 Safari/604.1') // 'Safari'
 */
export function browser(userAgent: string | null | undefined, locale?: string): string | null {
  return translated(parse(userAgent).browser, deviceWords(locale));
}

/**
 * The platform: "iPhone", "iPad", "Android", "macOS", "Windows 8.1", "Windows", "Linux",
 * "Chrome OS"…; null when unknown. Frozen versions are never guessed: `Windows NT 10.0` is
 * "Windows" unless Client Hints tell "Windows 10" or "Windows 11". Platform names are brands,
 * the same in every `locale`; only a generic name would be translated, as in `browser()`.
 */
export function platform(userAgent: string | null | undefined, hints?: ClientHints | null, locale?: string): string | null {
  return translated(platformOf(parse(userAgent), hints), deviceWords(locale));
}

/**
 * "<Browser> on <Platform>", e.g. "Safari on iPhone", "Chrome on Windows 8.1"; only the browser
 * or only the platform when that is all the user agent tells; null for neither. `locale` (a
 * language tag such as `'de'`, `'de-AT'` or `'pt-BR'`) says "on" in that language ("Chrome auf
 * Windows", "Windows 上的 Chrome"); English when it is omitted or not one of `SUPPORTED_LOCALES`.
 *
 * @example device(userAgent, null, 'fr') // 'Chrome sur Windows'
 */
export function device(userAgent: string | null | undefined, hints?: ClientHints | null, locale?: string): string | null {
  // One parse, cached by user agent alone; the words of the language are applied after it.
  const parsed = parse(userAgent);
  const words = deviceWords(locale);
  const name = translated(parsed.browser, words);
  const where = translated(platformOf(parsed, hints), words);
  if (name !== null && where !== null) return words.on(name, where);
  return name ?? where;
}

function translated(name: string | null, words: DeviceWords): string | null {
  return name === null ? null : translateName(name, words);
}

function platformOf(parsed: ParsedUserAgent, hints: ClientHints | null | undefined): string | null {
  const fromHints = platformFromHints(hints);
  if (fromHints === null) return parsed.platform;
  if (parsed.platform === null) return fromHints;
  // Hints tell the Windows version that `Windows NT 10.0` hides, and only that: a user agent
  // that names its version (8.1) is not contradicted. Otherwise the user agent, which names
  // the device (iPhone, iPad), says more.
  if (parsed.frozenWindows && fromHints.startsWith('Windows ')) return fromHints;
  return parsed.platform;
}

function parse(userAgent: string | null | undefined): ParsedUserAgent {
  if (typeof userAgent !== 'string' || userAgent.trim() === '') {
    return { browser: null, platform: null, frozenWindows: false };
  }
  const key = userAgent.slice(0, MAX_PARSED_LENGTH);
  let parsed = cache.get(key);
  if (!parsed) {
    parsed = parseUncached(key);
    cache.set(key, parsed);
  }
  return parsed;
}

function parseUncached(userAgent: string): ParsedUserAgent {
  const result = new UAParser(userAgent).getResult();
  const os = result.os.name ?? null;
  return {
    browser: browserName(result.browser.name ?? null, userAgent) ?? (os === null ? toolName(userAgent) : null),
    platform: platformName(os, result.os.version ?? null, result.device.model ?? null),
    frozenWindows: os === 'Windows' && result.os.version === '10',
  };
}

function browserName(parsed: string | null, userAgent: string): string | null {
  // Brave sends Chrome's user agent; some builds add a Brave token the parser does not know.
  if (/\bBrave\b/.test(userAgent)) return 'Brave';
  if (parsed === null) return null;
  return BROWSER_NAMES[parsed] ?? parsed;
}

/** Scripts and crawlers: "curl/8.5.0" is curl, "(compatible; Googlebot/2.1; …)" is Googlebot. */
function toolName(userAgent: string): string | null {
  const compatible = /\(compatible;\s*([A-Za-z][\w .-]{0,40}?)\s*[/;)]/.exec(userAgent);
  if (compatible) return compatible[1];
  const product = /^([A-Za-z][\w.-]{0,40})\/\d/.exec(userAgent);
  return product && product[1] !== 'Mozilla' ? product[1] : null;
}

function platformName(os: string | null, version: string | null, model: string | null): string | null {
  if (os === null) return null;
  if (os === 'Windows') {
    return version !== null && NAMED_WINDOWS_VERSIONS.has(version) ? `Windows ${version}` : 'Windows';
  }
  if (os === 'Mac OS' || os === 'macOS') return 'macOS';
  if (os === 'iOS') {
    if (model === 'iPhone' || model === 'iPad' || model === 'iPod touch') return model;
    return 'iOS';
  }
  if (os === 'Chromium OS' || os === 'Chrome OS') return 'Chrome OS';
  if (os === 'Windows Phone' || os === 'Windows Phone OS') return 'Windows Phone';
  if (LINUX_DISTRIBUTIONS.has(os)) return 'Linux';
  return os;
}

/** The platform Client Hints name, with the Windows version they alone can tell. */
function platformFromHints(hints: ClientHints | null | undefined): string | null {
  const name = hints?.platform;
  if (!name || name === 'Unknown') return null;
  if (name === 'Windows') {
    // Microsoft: platform version 13 and up is Windows 11, 1 to 12 is Windows 10.
    const major = Number.parseInt(hints?.platformVersion ?? '', 10);
    if (major >= 13) return 'Windows 11';
    if (major >= 1) return 'Windows 10';
    return 'Windows';
  }
  return platformName(name, null, null);
}

/** @internal For the benchmark and tests: forget every parsed user agent. */
export function clearDeviceCache(): void {
  cache.clear();
}
