import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { databaseOptionsFromEnv, DEFAULT_SQLITE_FILE } from './database.js';

describe('databaseOptionsFromEnv', () => {
  it.each([
    ['postgres://app:secret@db.example:5432/app', 'postgres'],
    ['postgresql://app:secret@db.example/app?sslmode=require', 'postgres'],
    ['mysql://app:secret@db.example:3306/app', 'mysql'],
    ['mariadb://app:secret@db.example:3306/app', 'mariadb'],
  ])('%s connects by url as %s', (url, type) => {
    expect(databaseOptionsFromEnv({ DATABASE_URL: url })).toEqual({
      type,
      url,
      autoLoadEntities: true,
      synchronize: true,
    });
  });

  it('sqlite:<file> opens that file with better-sqlite3', () => {
    expect(databaseOptionsFromEnv({ DATABASE_URL: 'sqlite:/var/lib/app/app.sqlite' })).toEqual({
      type: 'better-sqlite3',
      database: '/var/lib/app/app.sqlite',
      autoLoadEntities: true,
      synchronize: true,
    });
    expect(databaseOptionsFromEnv({ DATABASE_URL: 'sqlite:data/app.sqlite' })).toMatchObject({
      type: 'better-sqlite3',
      database: 'data/app.sqlite',
    });
  });

  it('a path without a scheme is a SQLite file too', () => {
    expect(databaseOptionsFromEnv({ DATABASE_URL: './data/app.sqlite' })).toMatchObject({
      type: 'better-sqlite3',
      database: './data/app.sqlite',
    });
  });

  it.each([undefined, '', '  '])('DATABASE_URL=%j uses the default SQLite file', (url) => {
    expect(DEFAULT_SQLITE_FILE).toBe('.data/sample-app.sqlite');
    expect(databaseOptionsFromEnv({ DATABASE_URL: url })).toMatchObject({
      type: 'better-sqlite3',
      database: DEFAULT_SQLITE_FILE,
    });
  });

  it.each([
    'mongodb://app:secret@db.example/app',
    'db.example:5432',
    'sqlite:',
    'postgres:/db.example/app',
    'file:app.sqlite',
  ])('rejects %s, naming the accepted forms and never the password', (url) => {
    expect(() => databaseOptionsFromEnv({ DATABASE_URL: url })).toThrow(
      /postgres:\/\/.*postgresql:\/\/.*mysql:\/\/.*mariadb:\/\/.*sqlite:<file>/,
    );
    expect(() => databaseOptionsFromEnv({ DATABASE_URL: url })).not.toThrow(/secret/);
  });

  it("the SQLite file's missing directory is created on connect", async () => {
    const root = mkdtempSync(join(tmpdir(), 'sample-app-'));
    try {
      const file = join(root, '.data', 'sample-app.sqlite');
      const options = databaseOptionsFromEnv({ DATABASE_URL: `sqlite:${file}` });
      const dataSource = new DataSource({ ...options, entities: [] } as DataSourceOptions);
      await dataSource.initialize();
      await dataSource.destroy();
      expect(existsSync(file)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
