import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { SignInListener } from './sign-in.listener.js';

@Module({
  imports: [UsersModule],
  controllers: [AuthController],
  providers: [SignInListener],
})
export class AuthModule {}
