import { Module } from '@nestjs/common';
import { UsersService } from './users.service.js';

/** Stand-in for the app's own users module, which the docs' snippets import. */
@Module({ providers: [UsersService], exports: [UsersService] })
export class UsersModule {}
