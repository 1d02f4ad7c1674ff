/** What GeoIP knows of an IP for the risk signals: where, how precisely, and on which network. */
export interface GeoPoint {
  /** ISO 3166-1 country code, or null. */
  countryCode: string | null;
  /** "City, Country" in the `geoip.locale` language, or null. */
  location: string | null;
  latitude: number | null;
  longitude: number | null;
  /** How far off the point may be, in km (the database's `accuracy_radius`), or null. */
  accuracyRadius: number | null;
  /** The autonomous system number, from a GeoIP ASN database (`geoip.asnDatabase`), or null. */
  network: number | null;
  /** The autonomous system's organisation, or null. */
  networkName: string | null;
}
