/**
 * The languages that device and place names are given in: those django-user-sessions ships
 * translations for (ar, de, he, it, nl, pl, ru, zh-CN) and those of MaxMind's databases (de,
 * en, es, fr, ja, pt-BR, ru, zh-CN). Place names exist only in MaxMind's eight; the others get
 * English ones.
 */
export const SUPPORTED_LOCALES = ['ar', 'de', 'en', 'es', 'fr', 'he', 'it', 'ja', 'nl', 'pl', 'pt-BR', 'ru', 'zh-CN'] as const;

/** One of `SUPPORTED_LOCALES`. */
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];

const SUPPORTED = new Set<string>(SUPPORTED_LOCALES);

/**
 * The one variant each of these languages has here: a Portuguese reader anywhere reads
 * Brazilian names better than English ones; a Chinese one, Simplified, unless they write
 * Traditional (see `traditionalChinese`).
 */
const ONLY_VARIANT: Record<string, string> = { pt: 'pt-BR', zh: 'zh-CN' };

/** Longer than any real tag; a longer string is junk and not looked at. */
const MAX_TAG_LENGTH = 35;

/** A language tag (BCP 47's shape, `_` read as `-`): language, then 1–8 letter or digit subtags. */
const TAG = /^[a-z]{2,3}(?:-[a-z\d]{1,8})*$/;

/**
 * Browsers send a handful of languages. The rest of a longer header is not read, so a hostile
 * one costs what a real one does.
 */
const MAX_HEADER_LENGTH = 1024;
const MAX_RANGES = 32;

/** A language range of Accept-Language, and its weight: 0 to 1, three decimals at most. */
const RANGE = /^(?:\*|[a-z]{1,8}(?:-[a-z\d]{1,8})*)$/i;
const WEIGHT = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

/**
 * The tags that can serve a reader of `tag`, best first, in the case MaxMind writes them:
 * `de-AT` → `de-AT`, `de`; `pt` → `pt`, `pt-BR`; `zh-TW` → `zh-TW`, `zh` (never `zh-CN`:
 * Traditional and Simplified Chinese are different scripts). Empty for junk.
 *
 * @internal
 */
export function localeCandidates(tag: string | null | undefined): string[] {
  if (typeof tag !== 'string' || tag.length > MAX_TAG_LENGTH) return [];
  const lower = tag.trim().toLowerCase().replaceAll('_', '-');
  if (!TAG.test(lower)) return [];
  const [language, ...rest] = lower.split('-');
  // language[-Script][-REGION][-anything else, not looked at]
  const scriptPart = /^[a-z]{4}$/.test(rest[0] ?? '') ? rest.shift()! : null;
  const script = scriptPart && scriptPart[0].toUpperCase() + scriptPart.slice(1);
  const region = /^(?:[a-z]{2}|\d{3})$/.test(rest[0] ?? '') ? rest[0].toUpperCase() : null;
  const candidates = [
    script && region ? `${language}-${script}-${region}` : null,
    // Without the script it says, a tag may mean another one: zh-CN is Simplified.
    region && !script ? `${language}-${region}` : null,
    script ? `${language}-${script}` : null,
    language,
    language === 'zh' && traditionalChinese(script, region) ? null : ONLY_VARIANT[language],
  ];
  return [...new Set(candidates.filter((candidate): candidate is string => Boolean(candidate)))];
}

/** Traditional Chinese: said by the script, or by a region that writes it when the script is not said. */
function traditionalChinese(script: string | null, region: string | null): boolean {
  return script === 'Hant' || (script === null && (region === 'TW' || region === 'HK' || region === 'MO'));
}

/**
 * The supported locale for a reader of `tag` (`de-AT` → `de`, `pt` → `pt-BR`), or null.
 *
 * @internal
 */
export function supportedLocale(tag: string | null | undefined): SupportedLocale | null {
  return (localeCandidates(tag).find((candidate) => SUPPORTED.has(candidate)) as SupportedLocale | undefined) ?? null;
}

/**
 * The supported locale an `Accept-Language` header asks for: the best-weighted language range
 * that names one (`de-AT` finds `de`, `pt-PT` finds `pt-BR`), `'en'` for `*` and when none
 * does. Junk ranges and weights are skipped; only the first 1,024 characters and 32 ranges
 * are read.
 *
 * @example negotiateLocale('fr;q=0.1, de;q=0.9') // 'de'
 */
export function negotiateLocale(acceptLanguage: string | string[] | null | undefined): string {
  const ranges = languageRanges(acceptLanguage).sort((a, b) => b.weight - a.weight);
  for (const { range, weight } of ranges) {
    if (weight === 0) break;
    if (range === '*') return starLocale(ranges);
    const locale = supportedLocale(range);
    if (locale !== null) return locale;
  }
  return 'en';
}

/**
 * `negotiateLocale()` of a request's `Accept-Language`, or undefined when the request names no
 * language (no header, or a blank one): then the defaults apply, the `geoip.locale` option for
 * place names and English for device words.
 */
export function requestedLocale(acceptLanguage: string | string[] | null | undefined): string | undefined {
  const values = Array.isArray(acceptLanguage) ? acceptLanguage : [acceptLanguage];
  const present = values.some((value) => typeof value === 'string' && value.trim() !== '');
  return present ? negotiateLocale(acceptLanguage) : undefined;
}

/** `*`: any language but those refused with `q=0`; English unless it is one of them. */
function starLocale(ranges: { range: string; weight: number }[]): string {
  const refused = new Set(ranges.filter(({ range, weight }) => weight === 0 && range !== '*').map(({ range }) => supportedLocale(range)));
  return ['en', ...SUPPORTED_LOCALES].find((locale) => !refused.has(locale as SupportedLocale)) ?? 'en';
}

/** The well-formed ranges of a header, in order; a stable sort by weight then keeps ties in it. */
function languageRanges(acceptLanguage: string | string[] | null | undefined): { range: string; weight: number }[] {
  const ranges: { range: string; weight: number }[] = [];
  for (const item of headerText(acceptLanguage).split(',', MAX_RANGES)) {
    const [range, ...parameters] = item.split(';');
    const name = range.trim();
    if (!RANGE.test(name)) continue;
    let weight = 1;
    let valid = true;
    for (const parameter of parameters) {
      const text = parameter.trim();
      if (text.split('=', 1)[0].trimEnd().toLowerCase() !== 'q') continue; // not Accept-Language's: ignored
      const match = WEIGHT.exec(text);
      if (match === null) valid = false;
      else weight = Number(match[1]);
    }
    if (valid) ranges.push({ range: name, weight });
  }
  return ranges;
}

/** The header as one string, cut at the last whole range before `MAX_HEADER_LENGTH`. */
function headerText(acceptLanguage: string | string[] | null | undefined): string {
  let text = '';
  if (typeof acceptLanguage === 'string') {
    text = acceptLanguage;
  } else if (Array.isArray(acceptLanguage)) {
    for (const value of acceptLanguage) {
      if (typeof value !== 'string') continue;
      text = text === '' ? value : `${text},${value}`;
      if (text.length > MAX_HEADER_LENGTH) break;
    }
  }
  if (text.length <= MAX_HEADER_LENGTH) return text;
  return text.slice(0, Math.max(0, text.lastIndexOf(',', MAX_HEADER_LENGTH)));
}
