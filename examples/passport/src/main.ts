import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { setUpApp } from './app.setup.js';
import { UsersService } from './users/users.service.js';

const app = await NestFactory.create(AppModule.forRoot({ type: 'better-sqlite3', database: process.env.DATABASE ?? 'passport-example.sqlite' }));
setUpApp(app);
await app.init();

// A user to sign in as: alice / wonderland.
const users = app.get(UsersService);
if (!(await users.findByUsername('alice'))) await users.create('alice', 'wonderland');

await app.listen(Number(process.env.PORT ?? 3000));
console.log(`Listening on ${await app.getUrl()}`);
