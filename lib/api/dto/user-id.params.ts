import { IsString, Length } from 'class-validator';

/** `:userId` of `DELETE /admin/sessions/users/:userId`; checked against `userIdType` by the controller. */
export class UserIdParams {
  // Its schema follows `userIdType`: set by the module (user-sessions.openapi.ts).
  @IsString()
  @Length(1, 255, { message: 'userId must be 1 to 255 characters' })
  userId: string;
}
