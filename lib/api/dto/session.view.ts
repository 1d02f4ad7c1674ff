import { ApiProperty } from '../openapi.js';
import { SESSION_ID_PATTERN } from '../../session/session-key.js';

const nullableString = { type: String, nullable: true } as const;
const dateTime = { type: String, format: 'date-time' } as const;

/**
 * What both lists show of a session, never its key. Classes rather than interfaces so that
 * an app with @nestjs/swagger gets their schemas in its OpenAPI document.
 */
export abstract class BaseSessionView {
  /** Opaque id, for `DELETE /account/sessions/:id`; it cannot be used as a cookie. */
  @ApiProperty({ description: 'Opaque id (not the cookie): the SHA-256 digest of the session key.', pattern: SESSION_ID_PATTERN.source })
  id: string;

  @ApiProperty({ ...nullableString, description: 'IP address of the latest request, as the app sees it (`trust proxy`).' })
  ip: string | null;

  @ApiProperty({ ...nullableString, description: 'User-Agent of the latest request, at most 200 characters.' })
  userAgent: string | null;

  /** "Chrome on Windows 11", or null. */
  @ApiProperty({ ...nullableString, example: 'Chrome on Windows 11' })
  device: string | null;

  /** "Chrome", or null. */
  @ApiProperty({ ...nullableString, example: 'Chrome' })
  browser: string | null;

  /** "Windows 11", or null. */
  @ApiProperty({ ...nullableString, example: 'Windows 11' })
  platform: string | null;

  /** "London, United Kingdom", or null (no GeoIP database, private or unknown address). */
  @ApiProperty({ ...nullableString, example: 'London, United Kingdom', description: 'Null without a GeoIP database, or for a private or unknown address.' })
  location: string | null;

  @ApiProperty(dateTime)
  lastActivity: string;

  /** When it ends unless used again: with `idleTimeout`, each activity update moves it. */
  @ApiProperty({ ...dateTime, description: 'When it ends unless used again (with `idleTimeout`, activity moves it).' })
  expireDate: string;
}

/**
 * The response headers of both lists that say what their names depend on: `device`,
 * `browser`, `platform` and `location` are in the language the request's `Accept-Language`
 * asks for.
 *
 * @internal
 */
export const LOCALIZED_RESPONSE_HEADERS = {
  'Content-Language': { description: 'The language of the names, when the request sent `Accept-Language`.', schema: { type: 'string', example: 'de' } },
  'Vary': { description: 'Includes `Accept-Language` (and `Cookie`).', schema: { type: 'string' } },
} as const;

/** One line of `GET /account/sessions`. */
export class SessionView extends BaseSessionView {
  /** This is the session of the request. */
  @ApiProperty({ description: 'This is the session of the request.' })
  current: boolean;
}

/** Answer of `DELETE /account/sessions`. */
export class EndOtherSessionsResult {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'How many other sessions were ended.' })
  deleted: number;
}
