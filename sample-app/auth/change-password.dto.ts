import { IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';

/** Body of `POST /auth/password`: the current password, and the new one. */
export class ChangePasswordDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  currentPassword: string;

  @IsString()
  @MinLength(10, { message: 'newPassword must be at least 10 characters' })
  @MaxLength(256)
  newPassword: string;
}
