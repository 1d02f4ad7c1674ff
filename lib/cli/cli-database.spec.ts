import { describe, expect, it } from 'vitest';
import { describeDatabase, reasonOf } from './cli-database.js';

describe('describeDatabase', () => {
  it('names a URL database without its password or query string', () => {
    expect(describeDatabase({ type: 'postgres', url: 'postgres://app:s3cret@db.example:5432/app?password=s3cret' })).toBe(
      'postgres://app@db.example:5432/app',
    );
    expect(describeDatabase({ type: 'mariadb', url: 'mariadb://db.example/app' })).toBe('mariadb://db.example/app');
  });

  it('names a host/port database from its options, without the password', () => {
    expect(
      describeDatabase({ type: 'mysql', host: 'db.example', port: 3306, username: 'app', password: 's3cret', database: 'app' }),
    ).toBe('mysql://app@db.example:3306/app');
    expect(describeDatabase({ type: 'postgres', database: 'app' })).toBe('postgres://localhost/app');
  });

  it('names a SQLite file', () => {
    expect(describeDatabase({ type: 'better-sqlite3', database: '/var/lib/app.sqlite' })).toBe('the SQLite file /var/lib/app.sqlite');
  });
});

describe('reasonOf', () => {
  it("is the first line of the driver's message, or its code", () => {
    expect(reasonOf(new Error('password authentication failed for user "app"\n    at …'))).toBe(
      'password authentication failed for user "app"',
    );
    expect(reasonOf(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
  });

  it('spells out an AggregateError with an empty message (a refused "localhost")', () => {
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    expect(reasonOf(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')], ''))).toBe(
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
  });
});
