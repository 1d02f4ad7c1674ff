/**
 * The README's first snippet ("Install it into your app": app.module.ts, auth.controller.ts,
 * profile.controller.ts), pasted into a fresh app, creates the session table on an empty
 * database and signs in, on each database. The blocks are read from README.md at run time, so
 * a README edit that breaks the promise fails here.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { createTestApplication, describeEachDatabaseAndPlatform } from './support/platforms.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECTION = '## Install it into your app';
const SNIPPET_FILES = ['src/app.module.ts', 'src/auth/auth.controller.ts', 'src/profile/profile.controller.ts'];
/** The database lines of the snippet's app.module.ts, the only ones a reader on another database changes. */
const DATABASE_LINES = /^( *)type: 'postgres',\n *url: process\.env\.DATABASE_URL,\n/m;

/** The section's ```ts blocks, by the file their first line names (`// src/app.module.ts`). */
function readmeSnippet(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length + 2);
  const blocks = new Map<string, string>();
  for (const [, code] of readme.slice(start, end < 0 ? undefined : end).matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
    const name = /^\/\/\s*([\w./-]+\.ts)\s*$/.exec(code.split('\n', 1)[0])?.[1];
    if (name) blocks.set(name, code);
  }
  const missing = SNIPPET_FILES.filter((file) => !blocks.has(file));
  if (missing.length > 0) {
    throw new Error(`README.md's "${SECTION}" has no \`\`\`ts block whose first line is ${missing.map((file) => `"// ${file}"`).join(', ')}`);
  }
  return blocks;
}

// What the README calls "your app's own": a User entity, its module and service, the login body.
// The password is compared as plain text: a stand-in, not advice.
const STAND_INS: Record<string, string> = {
  'src/users/user.entity.ts': `import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  username: string;

  @Column({ type: 'varchar', length: 255 })
  password: string;
}
`,
  'src/users/users.service.ts': `import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './user.entity.js';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  create(username: string, password: string): Promise<User> {
    return this.users.save(this.users.create({ username, password }));
  }

  findByCredentials(username: string, password: string): Promise<User | null> {
    return this.users.findOneBy({ username, password });
  }
}
`,
  'src/users/users.module.ts': `import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

@Module({ imports: [TypeOrmModule.forFeature([User])], providers: [UsersService], exports: [UsersService] })
export class UsersModule {}
`,
  'src/auth/login.dto.ts': readFileSync(join(ROOT, 'test', 'docs-snippets', 'app', 'src', 'auth', 'login.dto.ts'), 'utf8'),
};

describeEachDatabaseAndPlatform("README's first snippet, pasted into a fresh app", (kind, platform) => {
  // In the repository (.data/ is git-ignored) so that the app's imports find node_modules and
  // Vitest compiles it; one directory per database and platform, so each run has its own module URLs.
  const app = join(ROOT, '.data', `readme-first-snippet-${randomBytes(4).toString('hex')}-${kind}-${platform}`);
  const savedUrl = process.env.DATABASE_URL;
  let database: TestDatabase | undefined;
  let nest: INestApplication | undefined;

  afterAll(async () => {
    await nest?.close();
    await database?.drop();
    if (savedUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = savedUrl;
    rmSync(app, { recursive: true, force: true });
  });

  it('starts on an empty database, creates the session table, signs in and serves the profile', async () => {
    const files = new Map([...readmeSnippet(), ...Object.entries(STAND_INS)]);
    database = await createTestDatabase(kind);
    if (kind === 'postgres') {
      // The snippet exactly as pasted: its database is DATABASE_URL.
      const { host, port, username, database: name } = database.options as { host: string; port: number; username: string; database: string };
      process.env.DATABASE_URL = `postgres://${encodeURIComponent(username)}@${host}:${port}/${name}`;
    } else {
      // Another database: the reader changes only the two database lines, as the README's
      // `npm install pg # or mysql2, or better-sqlite3` says; the rest stays byte for byte.
      const module = files.get('src/app.module.ts')!;
      const lines = DATABASE_LINES.exec(module);
      if (!lines) throw new Error("README.md's src/app.module.ts no longer has the lines `type: 'postgres',` and `url: process.env.DATABASE_URL,`");
      const options = Object.entries(database.options).map(([key, value]) => `${lines[1]}${key}: ${JSON.stringify(value)},\n`);
      files.set('src/app.module.ts', module.replace(DATABASE_LINES, options.join('')));
    }
    for (const [path, text] of files) {
      mkdirSync(dirname(join(app, path)), { recursive: true });
      writeFileSync(join(app, path), text);
    }

    // A fresh module graph, as in a fresh app: the Session entity takes one User class per
    // process (configureSessionEntity), and each database's app has its own User.
    vi.resetModules();
    const { AppModule } = await import(/* @vite-ignore */ join(app, 'src', 'app.module.ts'));
    const { UsersService } = await import(/* @vite-ignore */ join(app, 'src', 'users', 'users.service.ts'));
    const { SessionStoreService } = await import('nestjs-user-sessions');

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    nest = await createTestApplication(moduleRef, { platform });
    await nest.init();
    if (platform === 'fastify') await nest.getHttpAdapter().getInstance().ready();

    const dataSource = nest.get(DataSource);
    const tables: unknown[] = await dataSource.query(
      kind === 'sqlite'
        ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'user_sessions'`
        : `SELECT table_name FROM information_schema.tables WHERE table_name = 'user_sessions' AND table_schema = ${kind === 'postgres' ? 'current_schema()' : 'DATABASE()'}`,
    );
    expect(tables).toHaveLength(1);
    if (kind === 'postgres') expect(await dataSource.query('SELECT current_database() AS name')).toEqual([{ name: (database.options as { database: string }).database }]);

    // The user must exist: userEntity makes user_id a foreign key to the users table.
    const alice = await nest.get(UsersService).create('alice', 'correct horse');
    const server = nest.getHttpServer();
    const login = await request(server).post('/auth/login').send({ username: 'alice', password: 'correct horse' });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toEqual({ id: alice.id, username: 'alice' });
    const cookie = [login.headers['set-cookie']].flat().find((header) => header?.startsWith('sessionid='));
    expect(cookie, 'a sessionid cookie').toBeDefined();

    const profile = await request(server).get('/profile').set('Cookie', cookie!.split(';')[0]);
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual({ userId: alice.id, theme: 'light' });
    expect(await nest.get(SessionStoreService).listActive(alice.id)).toHaveLength(1);
    expect((await request(server).get('/profile')).status).toBe(401);
  });
});
