import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Stand-in for the app's own body of `POST /auth/reauthenticate`: the password, entered again. */
export class ReauthenticateDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}
