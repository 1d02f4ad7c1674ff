import { describe, expect, it } from 'vitest';
import { connectionOptionsFromUrl } from './database-url.js';

describe('connectionOptionsFromUrl', () => {
  it.each([
    ['postgres://app:secret@db.example:5432/app', 'postgres'],
    ['POSTGRESQL://app@db.example/app?sslmode=require', 'postgres'],
    ['mysql://app:secret@db.example:3306/app', 'mysql'],
    ['mariadb://app:secret@db.example/app', 'mariadb'],
  ])('%s connects by url as %s', (url, type) => {
    expect(connectionOptionsFromUrl(url)).toEqual({ type, url });
  });

  it.each([
    ['sqlite:/var/lib/app/app.sqlite', '/var/lib/app/app.sqlite'],
    ['sqlite:data/app.sqlite', 'data/app.sqlite'],
    ['/var/lib/app/app.sqlite', '/var/lib/app/app.sqlite'],
    ['./app.sqlite', './app.sqlite'],
    ['data/app.db', 'data/app.db'],
    ['C:\\data\\app.sqlite', 'C:\\data\\app.sqlite'],
  ])('%s is the SQLite file %s', (url, database) => {
    expect(connectionOptionsFromUrl(url)).toEqual({ type: 'better-sqlite3', database });
  });

  it.each(['mongodb://app:secret@db.example/app', 'db.example:5432', 'file:app.sqlite', 'sqlite:', 'postgres:/db/app', '', ' '])(
    'rejects %j, naming the accepted forms and never the rest of the URL',
    (url) => {
      expect(() => connectionOptionsFromUrl(url)).toThrow(
        /is not supported\. Accepted: postgres:\/\/…, postgresql:\/\/…, mysql:\/\/…, mariadb:\/\/…, sqlite:<file>, or the path of a SQLite file\.$/,
      );
      expect(() => connectionOptionsFromUrl(url)).not.toThrow(/secret|@|5432|\/\/db|app\./);
    },
  );
});
