import { ApiProperty } from '../openapi.js';

const nullableString = { type: String, nullable: true } as const;

/** One entry of the security activity history, in the language `Accept-Language` asks for. */
export class ActivityEntryView {
  @ApiProperty({ description: 'Opaque; increases with time.' })
  id: string;

  @ApiProperty({
    enum: ['signed-in', 'signed-out', 'session-ended', 'other-sessions-ended', 'all-sessions-ended', 'reauthenticated', 'new-device', 'device-trusted', 'device-reported', 'country-changed', 'network-changed', 'impossible-travel'],
    description: 'What happened.',
  })
  kind: string;

  @ApiProperty({ type: String, format: 'date-time' })
  at: string;

  @ApiProperty({ ...nullableString, description: 'The session it happened to or from.' })
  sessionId: string | null;

  @ApiProperty({ ...nullableString, description: 'The known device it happened on.' })
  deviceId: string | null;

  @ApiProperty({ ...nullableString })
  ip: string | null;

  @ApiProperty({ ...nullableString, example: 'Chrome on Windows 11' })
  device: string | null;

  @ApiProperty({ ...nullableString, example: 'London, United Kingdom' })
  location: string | null;

  @ApiProperty({ ...nullableString, description: 'Risk signals: where the session or the previous sign-in was before.' })
  previousLocation: string | null;

  @ApiProperty({ description: 'This entry is about the session of the request.' })
  current: boolean;

  @ApiProperty({ type: Object, description: 'What else it says: `endedBy`, `count`, `reason`, `from` / `to`, `distanceKm`…' })
  details: Record<string, unknown>;
}

/** A page of `GET {path}/activity`, newest first. */
export class ActivityPage {
  @ApiProperty({ type: [ActivityEntryView] })
  entries: ActivityEntryView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass it back as `cursor` for the next (older) page; null on the last.' })
  nextCursor: string | null;
}
