import { IsString, Length } from 'class-validator';
import { ApiProperty } from '../openapi.js';

const nullableString = { type: String, nullable: true } as const;

/** One of the user's known devices ("Your devices"). */
export class DeviceView {
  @ApiProperty({ description: 'Opaque id of the device.' })
  id: string;

  @ApiProperty({ ...nullableString, example: 'Firefox on macOS' })
  device: string | null;

  @ApiProperty({ ...nullableString, example: 'Berlin, Germany', description: 'Where its latest sign-in came from.' })
  location: string | null;

  @ApiProperty({ ...nullableString })
  ip: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  firstSeen: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'Its latest sign-in.' })
  lastSeen: string;

  @ApiProperty({ enum: ['unconfirmed', 'trusted', 'reported'], description: 'What you answered to "Was this you?".' })
  trust: string;

  @ApiProperty({ description: 'This is the device of the request.' })
  current: boolean;
}

/** Body of `POST {path}/devices/answer`. */
export class DeviceAnswerBody {
  @ApiProperty({ description: 'A token of the new-device alert ("Yes, this was me" or "No, this wasn\'t me").' })
  @IsString({ message: 'token must be a string: the token of a new-device alert' })
  @Length(1, 200, { message: 'token must be 1 to 200 characters' })
  token: string;
}

/** What `GET {path}/devices/answer` says a token would do, before it is used. */
export class DeviceAnswerPreview {
  @ApiProperty({ enum: ['confirm', 'report'] })
  answer: string;

  @ApiProperty({ ...nullableString })
  device: string | null;

  @ApiProperty({ ...nullableString })
  location: string | null;

  @ApiProperty({ type: String, format: 'date-time', description: "The device's latest sign-in." })
  signedInAt: string;
}

/** What `POST {path}/devices/answer` did. */
export class DeviceAnswerOutcome {
  @ApiProperty({ enum: ['trusted', 'reported'] })
  status: string;

  @ApiProperty({ description: 'With `reported`: how many of the device\'s sessions were ended.' })
  endedSessions: number;
}
