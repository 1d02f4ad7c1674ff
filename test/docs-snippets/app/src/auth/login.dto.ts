import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Stand-in for the app's own body of `POST /auth/login`. */
export class LoginDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  username: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}
