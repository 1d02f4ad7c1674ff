import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of `POST /auth/reauthenticate`: the signed-in user's password, entered again. */
export class ReauthenticateDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}
