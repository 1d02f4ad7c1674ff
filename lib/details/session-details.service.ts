import { Inject, Injectable } from '@nestjs/common';
import { browser, device, platform, type ClientHints } from './device.js';
import { GeoIpLocator } from './location.js';
import { GEOIP_LOCATOR } from '../user-sessions.constants.js';

/** What a session shows a person about the device and place it was used from. */
export interface SessionDetails {
  /** "Safari on iPhone", or null. */
  device: string | null;
  /** "Safari", or null. */
  browser: string | null;
  /** "iPhone", or null. */
  platform: string | null;
  /** "London, United Kingdom", or null. */
  location: string | null;
}

/** The fields of a session that its details come from. */
export interface SessionClientFields {
  userAgent: string | null;
  ip: string | null;
  clientPlatform?: string | null;
  clientPlatformVersion?: string | null;
}

/**
 * User agents and IPs as text a person understands, for the sessions API and for an app's
 * own pages and e-mails ("New sign-in from Chrome on Windows · London, United Kingdom").
 * Parsing is cached by user agent; the GeoIP database is in memory.
 *
 * Each method takes a `locale` (`'de'`, `'de-AT'`, `'pt-BR'`…, see `SUPPORTED_LOCALES` and
 * `negotiateLocale()`): device words in that language, English without it; place names in
 * it, the `geoip.locale` option's language without it.
 */
@Injectable()
export class SessionDetailsService {
  constructor(@Inject(GEOIP_LOCATOR) private readonly locator: GeoIpLocator) {}

  /** "<Browser> on <Platform>"; see `device()`. */
  device(userAgent: string | null | undefined, hints?: ClientHints | null, locale?: string): string | null {
    return device(userAgent, hints, locale);
  }

  /** The browser's name; see `browser()`. */
  browser(userAgent: string | null | undefined, locale?: string): string | null {
    return browser(userAgent, locale);
  }

  /** The platform's name; see `platform()`. */
  platform(userAgent: string | null | undefined, hints?: ClientHints | null, locale?: string): string | null {
    return platform(userAgent, hints, locale);
  }

  /** "City, Country", "Country" or null. */
  location(ip: string | null | undefined, locale?: string): string | null {
    return this.locator.location(ip, locale);
  }

  /** The city, or null. */
  city(ip: string | null | undefined, locale?: string): string | null {
    return this.locator.city(ip, locale);
  }

  /** The country, or null. */
  country(ip: string | null | undefined, locale?: string): string | null {
    return this.locator.country(ip, locale);
  }

  /**
   * Device, browser, platform and location of a session, in `locale`.
   *
   * @example details.describe(session, negotiateLocale(request.headers['accept-language']))
   */
  describe(session: SessionClientFields, locale?: string): SessionDetails {
    const hints = { platform: session.clientPlatform, platformVersion: session.clientPlatformVersion };
    return {
      device: device(session.userAgent, hints, locale),
      browser: browser(session.userAgent, locale),
      platform: platform(session.userAgent, hints, locale),
      location: this.locator.location(session.ip, locale),
    };
  }
}
