import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of `POST /auth/login`. */
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
