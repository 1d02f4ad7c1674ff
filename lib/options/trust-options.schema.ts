import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DEFAULT_DEVICE_ANSWER_TTL } from '../user-sessions.constants.js';
import type { KnownDevicesOptions, RiskSignalsOptions } from './trust.options.js';

export class KnownDevicesOptionsSchema implements Required<KnownDevicesOptions> {
  @IsBoolean({ message: 'knownDevices.enabled must be true or false' })
  enabled: boolean = true;

  @IsOptional()
  @IsString()
  @Matches(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, {
    message: 'knownDevices.cookieName must be a cookie token (letters, digits and !#$%&\'*+-.^_`|~), got "$value"',
  })
  cookieName: string = undefined as unknown as string;

  @IsInt({ message: 'knownDevices.answerTtl is in milliseconds and must be a whole number, got $value' })
  @Min(60_000, { message: 'knownDevices.answerTtl must be at least 60000 milliseconds (one minute), got $value' })
  @Max(90 * 24 * 60 * 60 * 1000, { message: 'knownDevices.answerTtl must be at most 90 days, got $value' })
  answerTtl: number = DEFAULT_DEVICE_ANSWER_TTL;
}

export class RiskSignalsOptionsSchema implements Required<RiskSignalsOptions> {
  @IsBoolean({ message: 'riskSignals.requireRecentLogin must be true or false' })
  requireRecentLogin: boolean = false;

  @IsInt({ message: 'riskSignals.maxTravelSpeed is in km/h and must be a whole number, got $value' })
  @Min(100, { message: 'riskSignals.maxTravelSpeed must be at least 100 km/h, got $value' })
  @Max(5000, { message: 'riskSignals.maxTravelSpeed must be at most 5000 km/h, got $value' })
  maxTravelSpeed: number = 1000;
}
