import { supportedLocale, type SupportedLocale } from './locale.js';

/** How one language says a device. */
export interface DeviceWords {
  /** "Chrome on Windows": some languages put the platform first. */
  on(browser: string, platform: string): string;
  /**
   * The names `device()` gives that are words rather than brands, in this language. Brands
   * (Chrome, Safari, Windows, iPhone, Android…) are written as their makers write them in
   * every language, so they are never here.
   */
  names?: Readonly<Record<string, string>>;
}

/**
 * django-user-sessions translates "%(browser)s on %(device)s" (ar, de, he, it, nl, ru, zh_CN),
 * "<em>unknown</em>" and the names of browsers and platforms, which its files leave as they
 * are but for Arabic (written in Arabic letters) and Hebrew's "Google Chrome". Here the names
 * stay brands everywhere, and an unknown device is null,
 * not a word: what is left to translate is "on" and the one generic name, "Android Browser"
 * (the parser's name for Android's old built-in browser, which has no brand).
 */
export const DEVICE_WORDS: Readonly<Record<SupportedLocale, DeviceWords>> = {
  'ar': { on: (browser, platform) => `${browser} على ${platform}`, names: { 'Android Browser': 'متصفح Android' } },
  'de': { on: (browser, platform) => `${browser} auf ${platform}`, names: { 'Android Browser': 'Android-Browser' } },
  'en': { on: (browser, platform) => `${browser} on ${platform}` },
  'es': { on: (browser, platform) => `${browser} en ${platform}`, names: { 'Android Browser': 'Navegador de Android' } },
  'fr': { on: (browser, platform) => `${browser} sur ${platform}`, names: { 'Android Browser': 'Navigateur Android' } },
  'he': { on: (browser, platform) => `${browser} על ${platform}`, names: { 'Android Browser': 'דפדפן Android' } },
  'it': { on: (browser, platform) => `${browser} su ${platform}`, names: { 'Android Browser': 'Browser Android' } },
  'ja': { on: (browser, platform) => `${platform} 上の ${browser}`, names: { 'Android Browser': 'Android ブラウザ' } },
  'nl': { on: (browser, platform) => `${browser} op ${platform}`, names: { 'Android Browser': 'Android-browser' } },
  // The seed's Polish file is empty. Platform names are not declined ("na Windows", not "na Windowsie").
  'pl': { on: (browser, platform) => `${browser} na ${platform}`, names: { 'Android Browser': 'Przeglądarka Android' } },
  // "no": every platform here is masculine in Portuguese (o Windows, o iPhone, o Android).
  'pt-BR': { on: (browser, platform) => `${browser} no ${platform}`, names: { 'Android Browser': 'Navegador do Android' } },
  'ru': { on: (browser, platform) => `${browser} на ${platform}`, names: { 'Android Browser': 'Браузер Android' } },
  // The seed says "Chrome 在 Windows 上" (a sentence); a list names the device: "Windows 上的 Chrome".
  'zh-CN': { on: (browser, platform) => `${platform} 上的 ${browser}`, names: { 'Android Browser': 'Android 浏览器' } },
};

/** The words of the supported locale that serves a reader of `locale`; English without one. */
export function deviceWords(locale: string | undefined): DeviceWords {
  return DEVICE_WORDS[(locale === undefined ? null : supportedLocale(locale)) ?? 'en'];
}

/** `name` in these words: a generic name translated, a brand as it is. */
export function translateName(name: string, words: DeviceWords): string {
  // hasOwn: a tool's name ("constructor/1.0") must not find Object's own properties.
  return words.names !== undefined && Object.hasOwn(words.names, name) ? words.names[name] : name;
}
