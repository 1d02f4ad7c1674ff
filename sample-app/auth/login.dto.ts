import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

/** Body of `POST /auth/login`. */
export class LoginDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  // No username has one, and PostgreSQL refuses NUL in the lookup (a 500, not a 401).
  @Matches(/^\P{Cc}*$/u, { message: 'username must not contain control characters' })
  username: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}
