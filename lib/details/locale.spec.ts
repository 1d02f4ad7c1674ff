import { describe, expect, it } from 'vitest';
import { localeCandidates, negotiateLocale, requestedLocale, SUPPORTED_LOCALES, supportedLocale } from './locale.js';

describe('SUPPORTED_LOCALES', () => {
  it("holds the seed's languages and MaxMind's", () => {
    for (const locale of ['ar', 'de', 'he', 'it', 'nl', 'pl', 'ru', 'zh-CN', 'en', 'es', 'fr', 'ja', 'pt-BR']) {
      expect(SUPPORTED_LOCALES).toContain(locale);
    }
  });
});

describe('supportedLocale()', () => {
  it.each([
    ['de', 'de'],
    ['de-AT', 'de'],
    ['DE-at', 'de'],
    ['de_CH', 'de'],
    ['en-US', 'en'],
    ['es-419', 'es'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['pt-br', 'pt-BR'],
    ['zh', 'zh-CN'],
    ['zh-CN', 'zh-CN'],
    ['zh-SG', 'zh-CN'],
    ['zh-Hans', 'zh-CN'],
    ['zh-Hans-HK', 'zh-CN'],
    ['ja-JP', 'ja'],
    ['nl-BE', 'nl'],
    ['pl-PL', 'pl'],
    ['he-IL', 'he'],
    ['de-DE-u-co-phonebk', 'de'],
  ])('%s → %s', (tag, expected) => {
    expect(supportedLocale(tag)).toBe(expected);
  });

  it('finds no Simplified Chinese for a reader of Traditional', () => {
    for (const tag of ['zh-TW', 'zh-HK', 'zh-MO', 'zh-Hant', 'zh-Hant-CN']) expect(supportedLocale(tag)).toBeNull();
  });

  it('is null for languages it lacks and for junk', () => {
    for (const tag of ['sv', 'sv-SE', 'x', '*', '', ' ', 'de-', '-de', 'de--AT', 'deutsch', '__proto__', 'constructor', 'de;q=1', `de-${'a'.repeat(40)}`, null, undefined]) {
      expect(supportedLocale(tag)).toBeNull();
    }
  });

  it('lists the tags that serve a reader, best first, as MaxMind writes them', () => {
    expect(localeCandidates('de-at')).toEqual(['de-AT', 'de']);
    expect(localeCandidates('pt-PT')).toEqual(['pt-PT', 'pt', 'pt-BR']);
    expect(localeCandidates('zh-hant-tw')).toEqual(['zh-Hant-TW', 'zh-Hant', 'zh']);
    expect(localeCandidates('zh-Hans-HK')).toEqual(['zh-Hans-HK', 'zh-Hans', 'zh', 'zh-CN']);
    expect(localeCandidates('junk!')).toEqual([]);
  });
});

describe('negotiateLocale()', () => {
  it.each([
    ['de', 'de'],
    ['de-AT', 'de'],
    ['fr;q=0.1, de;q=0.9', 'de'],
    ['de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7', 'de'],
    ['sv-SE, sv;q=0.9, fr;q=0.5', 'fr'],
    ['en;q=0.5, ja;q=0.5', 'en'], // a tie keeps the header's order
    ['ja;q=0.5, en;q=0.5', 'ja'],
    ['pt-PT', 'pt-BR'],
    ['zh-TW, zh;q=0.8', 'zh-CN'],
    ['zh-TW', 'en'],
    ['*', 'en'],
    ['sv, *;q=0.5', 'en'],
    ['en;q=0, *', 'ar'],
    ['de;q=0', 'en'],
    ['de;q=0, fr', 'fr'],
    ['  fr  ;  q=0.8  ,de;q=0.7', 'fr'],
    ['de;Q=0.9, fr;q=0.8', 'de'],
    ['de;level=1;q=0.9, fr;q=0.8', 'de'],
    ['DE', 'de'],
  ])('%s → %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });

  it('is English when nothing is asked or nothing matches', () => {
    for (const header of [undefined, null, '', ' ', ',', ';', 'sv', 'klingon', 'x-pig-latin', 'i-klingon']) {
      expect(negotiateLocale(header)).toBe('en');
    }
  });

  it('takes the header as an array of values', () => {
    expect(negotiateLocale(['sv', 'ru;q=0.4'])).toBe('ru');
    expect(negotiateLocale([])).toBe('en');
  });

  it('skips junk ranges and weights, and reads the rest', () => {
    expect(negotiateLocale('de;q=2, fr')).toBe('fr');
    expect(negotiateLocale('de;q=-1, fr;q=0.1')).toBe('fr');
    expect(negotiateLocale('de;q=0.12345, fr;q=0.1')).toBe('fr');
    expect(negotiateLocale('de;q=abc, fr;q=0.1')).toBe('fr');
    expect(negotiateLocale('de;q, fr;q=0.1')).toBe('fr');
    expect(negotiateLocale('de_DE, fr;q=0.1')).toBe('fr');
    expect(negotiateLocale('<script>, "de", fr;q=0.1')).toBe('fr');
    expect(negotiateLocale('\u0000de, ja\u00e9, es;q=0.2')).toBe('es');
    expect(negotiateLocale('__proto__, constructor, toString, es;q=0.2')).toBe('es');
  });

  it('reads only the first 32 ranges', () => {
    expect(negotiateLocale(`${'sv, '.repeat(31)}de`)).toBe('de');
    expect(negotiateLocale(`${'sv, '.repeat(32)}de`)).toBe('en');
  });

  it('reads only the first 1,024 characters, cut at a whole range', () => {
    const filler = `sv;q=0.9, ${' '.repeat(1100)}`;
    expect(negotiateLocale(`${filler}, de;q=0.5`)).toBe('en');
    expect(negotiateLocale(`de-AT;q=0.5, ${' '.repeat(1010)}fr`)).toBe('de');
  });

  it('answers hostile headers quickly', () => {
    const headers = [
      'de-'.repeat(100_000),
      `${'a'.repeat(8)}-`.repeat(50_000),
      ','.repeat(200_000),
      ';'.repeat(200_000),
      `de;${'q=0.5;'.repeat(50_000)}`,
      'x'.repeat(1_000_000),
      Array.from({ length: 10_000 }, () => 'fr;q=0.1').join(','),
    ];
    const arrays = [Array.from({ length: 100_000 }, () => 'de;q=0.1')];
    const started = performance.now();
    for (let round = 0; round < 20; round++) {
      for (const header of headers) negotiateLocale(header);
      for (const header of arrays) negotiateLocale(header);
    }
    expect(negotiateLocale(headers[6])).toBe('fr');
    expect(negotiateLocale(arrays[0])).toBe('de');
    // Each call reads at most 1,024 characters: far under a second for all of them.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('never throws on arbitrary strings', () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    expect(() => negotiateLocale(bytes.toString('latin1'))).not.toThrow();
    expect(() => negotiateLocale([1, {}, null] as unknown as string[])).not.toThrow();
  });
});

describe('requestedLocale()', () => {
  it('is undefined without a language asked for, so the defaults apply', () => {
    expect(requestedLocale(undefined)).toBeUndefined();
    expect(requestedLocale(null)).toBeUndefined();
    expect(requestedLocale('')).toBeUndefined();
    expect(requestedLocale('  ')).toBeUndefined();
    expect(requestedLocale([])).toBeUndefined();
  });

  it('negotiates any header with something in it, junk included', () => {
    expect(requestedLocale('de')).toBe('de');
    expect(requestedLocale('junk!!')).toBe('en');
    expect(requestedLocale(['', 'fr'])).toBe('fr');
  });
});
