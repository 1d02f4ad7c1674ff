import { Module } from '@nestjs/common';

/** Stand-in for the app's own root module, which the docs' test and main.ts snippets import. */
@Module({})
export class AppModule {}
