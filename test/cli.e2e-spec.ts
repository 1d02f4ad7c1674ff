import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataSource, type Repository } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { main } from '../lib/cli/main.js';
import { SecurityActivityRecord, Session, UserSessionsEntities } from '../lib/index.js';

/** Runs the command line in-process, as `nestjs-user-sessions <argv>` would. */
async function cli(argv: string[], env: Record<string, string | undefined> = {}, isTTY = false) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    isTTY,
  });
  return { code, stdout, stderr };
}

/** The DATABASE_URL of a test database. */
function databaseUrl(database: TestDatabase): string {
  const options = database.options as { host?: string; port?: number; username?: string; password?: string; database: string };
  if (database.kind === 'sqlite') return `sqlite:${options.database}`;
  const password = options.password ? `:${encodeURIComponent(options.password)}` : '';
  return `${database.kind}://${options.username}${password}@${options.host}:${options.port}/${options.database}`;
}

/** A session row expiring `inMs` from now. */
function row(inMs: number, userId: string | null = null): Session {
  const now = new Date();
  const digest = randomBytes(32).toString('hex');
  return Object.assign(new Session(), {
    keyDigest: digest,
    id: digest,
    previousKeyDigest: null,
    keySeal: null,
    keyIssuedAt: now,
    data: '{}',
    expireDate: new Date(now.getTime() + inMs),
    userId,
    userAgent: null,
    clientPlatform: null,
    clientPlatformVersion: null,
    ip: null,
    lastActivity: now,
    createdAt: now,
  });
}

/** The numbers of the progress lines in `stdout`. */
function progressCounts(stdout: string, prefix: string): string[] {
  return [...stdout.matchAll(new RegExp(`\\r${prefix}([\\d,]+)`, 'g'))].map((match) => match[1]);
}

const typeormFile = createRequire(import.meta.url).resolve('typeorm');
const libIndexFile = fileURLToPath(new URL('../lib/index.ts', import.meta.url));

describeEachDatabase('nestjs-user-sessions command line', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sessions: Repository<Session>;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataSource = new DataSource({ ...database.options, entities: [Session], synchronize: true } as never);
    await dataSource.initialize();
    sessions = dataSource.getRepository(Session);
    url = databaseUrl(database);
    dir = mkdtempSync(join(tmpdir(), 'user-sessions-cli-'));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sessions.clear();
  });

  /** Writes a data-source module such as an app would have, importing typeorm and the package. */
  function dataSourceFile(name: string, body: string): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      `import { DataSource } from ${JSON.stringify(pathToFileURL(typeormFile).href)};\n` +
        `import { Session } from ${JSON.stringify(libIndexFile)};\n` +
        `const options = ${JSON.stringify(database.options)};\n` +
        body,
    );
    return file;
  }

  it('clear-expired deletes the expired sessions batch by batch, drawing progress on a terminal', async () => {
    const alive = [row(60_000, 'alice'), row(3_600_000)];
    await sessions.insert([...Array.from({ length: 5 }, (_, i) => row(-1000 - i, 'bob')), ...alive]);

    const { code, stdout, stderr } = await cli(['clear-expired', '--batch-size', '2'], { DATABASE_URL: url }, true);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(progressCounts(stdout, 'Deleting expired sessions: ')).toEqual(['2', '4', '5']);
    expect(stdout).toMatch(/\r\x1b\[KDeleted 5 expired sessions in \d+\.\d s\.\n$/);
    expect((await sessions.find()).map((session) => session.id).sort()).toEqual(alive.map((session) => session.id).sort());
  });

  it('clear-expired writes only the final line when stdout is not a terminal', async () => {
    const alive = row(60_000);
    await sessions.insert([row(-1), alive]);

    const { code, stdout, stderr } = await cli(['clear-expired'], { DATABASE_URL: url });

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Deleted 1 expired session in \d+\.\d s\.\n$/);
    expect(await sessions.findOneBy({ id: alive.id })).not.toBeNull();
    expect(await sessions.count()).toBe(1);

    const again = await cli(['clear-expired'], { DATABASE_URL: url });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Deleted 0 expired sessions in /);
  });

  it('clear-expired, with the security activity table: each signed-in session it deletes is recorded as expired, and old entries go', async () => {
    const withHistory = new DataSource({ ...database.options, entities: [...UserSessionsEntities], synchronize: true } as never);
    await withHistory.initialize();
    const activity = withHistory.getRepository(SecurityActivityRecord);
    try {
      await sessions.insert([row(-1000, 'bob'), row(-2000, 'bob'), row(-3000), row(60_000, 'alice')]);
      await activity.insert([
        { userId: 'carol', kind: 'signed-in', at: new Date(Date.now() - 40 * 86_400_000), details: null },
        { userId: 'carol', kind: 'signed-in', at: new Date(Date.now() - 10 * 86_400_000), details: null },
      ]);
      const { code, stdout, stderr } = await cli(['clear-expired', '--activity-days', '30'], { DATABASE_URL: url });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^Deleted 3 expired sessions in \d+\.\d s\.\nDeleted 1 security activity entry older than 30 days\.\n$/);
      const entries = await activity.find({ order: { id: 'ASC' } });
      expect(entries.map(({ userId, kind }) => [userId, kind])).toEqual([['carol', 'signed-in'], ['bob', 'session-ended'], ['bob', 'session-ended']]);
      expect(JSON.parse(entries[1].details!)).toMatchObject({ endedBy: 'expiry', expiredAt: expect.any(String) });
      // Without --activity-days (the app's setting is not known here) the table is left alone.
      await sessions.insert(row(-1000, 'dave'));
      const untouched = await cli(['clear-expired'], { DATABASE_URL: url });
      expect(untouched.stdout).toMatch(/^Deleted 1 expired session in \d+\.\d s\.\n$/);
      expect(await activity.count()).toBe(3);
      expect((await cli(['clear-expired', '--activity-days', 'x'], { DATABASE_URL: url })).code).toBe(2);
      expect((await cli(['clear-expired', '--activity-days', '0'], { DATABASE_URL: url })).code).toBe(2);
    } finally {
      await withHistory.query(`DROP TABLE ${withHistory.driver.escape('user_security_activity')}`);
      await withHistory.query(`DROP TABLE ${withHistory.driver.escape('user_devices')}`);
      await withHistory.destroy();
    }
  });

  it('clear-expired --data-source takes the DataSource a module exports (default or named), never DATABASE_URL', async () => {
    const asDefault = dataSourceFile(
      'default-export.mjs',
      'export default new DataSource({ ...options, entities: [Session], synchronize: true });\n',
    );
    const named = dataSourceFile(
      'named-export.mjs',
      'export const appDataSource = new DataSource({ ...options, entities: [Session] });\nexport const unrelated = 42;\n',
    );
    const alive = row(60_000);
    await sessions.insert([row(-1), row(-2), alive]);

    const first = await cli(['clear-expired', '--data-source', asDefault], { DATABASE_URL: 'mongodb://unused' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Deleted 2 expired sessions in /);

    await sessions.insert(row(-3));
    const second = await cli(['clear-expired', '--data-source', named, '--batch-size', '1']);
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(/^Deleted 1 expired session in /);
    expect((await sessions.find()).map((session) => session.id)).toEqual([alive.id]);
  });

  it('a data-source file without the Session entity, or without a DataSource, is a clear error', async () => {
    const withoutSession = dataSourceFile('no-session.mjs', 'export default new DataSource({ ...options, entities: [] });\n');
    const withoutDataSource = dataSourceFile('no-data-source.mjs', 'export default options;\n');
    await sessions.insert(row(-1));

    const noEntity = await cli(['clear-expired', '--data-source', withoutSession]);
    expect(noEntity).toEqual({
      code: 1,
      stdout: '',
      stderr: `nestjs-user-sessions: The data source in ${withoutSession} does not include the Session entity: add Session (import { Session } from 'nestjs-user-sessions', the installation this command runs from) to its entities.\n`,
    });
    const noDataSource = await cli(['clear-expired', '--data-source', withoutDataSource]);
    expect(noDataSource.code).toBe(1);
    expect(noDataSource.stderr).toMatch(/^nestjs-user-sessions: The data-source file .* exports no TypeORM DataSource; export one, as default or by name\.\n$/);
    const missing = await cli(['clear-expired', '--data-source', join(dir, 'missing.mjs')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/The data-source file .*missing\.mjs does not exist\.\n$/);
    expect(await sessions.count()).toBe(1);
  });

  it('import-express-sessions copies the live rows of a connect-typeorm table, once', async () => {
    const q = (name: string) => dataSource.driver.escape(name);
    const timestamp = kind === 'postgres' ? 'timestamp' : 'datetime';
    await dataSource.query(`DROP TABLE IF EXISTS ${q('session')}`);
    await dataSource.query(
      `CREATE TABLE ${q('session')} (${q('id')} varchar(255) NOT NULL PRIMARY KEY, ${q('expiredAt')} bigint NOT NULL, ` +
        `${q('json')} text NOT NULL, ${q('destroyedAt')} ${timestamp} NULL)`,
    );
    const later = Date.now() + 3_600_000;
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(later).toISOString(), httpOnly: true, path: '/' };
    const oldRows: [string, number, object, Date | null][] = [
      ['sid-alice', later, { cookie, passport: { user: 'alice' } }, null],
      ['sid-anonymous', later, { cookie, cart: [1, 2] }, null],
      ['sid-object-user', later, { cookie, passport: { user: { name: 'dave' } } }, null],
      ['sid-expired', Date.now() - 1000, { cookie, passport: { user: 'bob' } }, null],
      ['sid-destroyed', later, { cookie, passport: { user: 'carol' } }, new Date()],
    ];
    for (const [id, expiredAt, json, destroyedAt] of oldRows) {
      await dataSource
        .createQueryBuilder()
        .insert()
        .into('session', ['id', 'expiredAt', 'json', 'destroyedAt'])
        .values({ id, expiredAt, json: JSON.stringify(json), destroyedAt })
        .execute();
    }
    // --max-age: the module's maxAge of 10 minutes cuts the old rows' hour short.
    const argv = ['import-express-sessions', '--table', 'session', '--user-path', 'passport.user', '--batch-size', '1', '--max-age', '600000'];

    const first = await cli(argv, { DATABASE_URL: url }, true);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/\rImporting: \d+ read, /);
    expect(first.stdout).toMatch(/\r\x1b\[KRead 3 sessions from "session": 2 imported, 0 already imported, 1 skipped, in \d+\.\d s\.\n$/);
    const imported = await sessions.find();
    expect(imported.map((session) => session.userId).sort()).toEqual(['alice', null].sort());
    for (const session of imported) expect(session.expireDate.getTime()).toBeLessThanOrEqual(Date.now() + 600_000);

    const second = await cli(argv, { DATABASE_URL: url });
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(/^Read 3 sessions from "session": 0 imported, 2 already imported, 1 skipped, in \d+\.\d s\.\n$/);
    expect(await sessions.count()).toBe(2);
  });
});

describe('nestjs-user-sessions command line: failures', () => {
  it('an unreachable database: exit 1, one line naming it without the password, and the reason', async () => {
    const result = await cli(['clear-expired'], { DATABASE_URL: 'postgres://app:s3cr%40t@127.0.0.1:1/app?password=s3cr%40t' });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'nestjs-user-sessions: Cannot connect to postgres://app@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1\n',
    });

    const mysql = await cli(['import-express-sessions'], { DATABASE_URL: 'mysql://root:hunter2@127.0.0.1:1/app' });
    expect(mysql.code).toBe(1);
    expect(mysql.stderr).toBe('nestjs-user-sessions: Cannot connect to mysql://root@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1\n');
  });

  it('a SQLite file that does not exist, or has no session table: exit 1, nothing created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'user-sessions-cli-'));
    try {
      const missing = join(dir, 'missing.sqlite');
      expect(await cli(['clear-expired'], { DATABASE_URL: missing })).toEqual({
        code: 1,
        stdout: '',
        stderr: `nestjs-user-sessions: The SQLite file ${missing} does not exist.\n`,
      });
      const empty = join(dir, 'empty.sqlite');
      const dataSource = new DataSource({ type: 'better-sqlite3', database: empty });
      await dataSource.initialize();
      await dataSource.destroy();
      const noTable = await cli(['clear-expired'], { DATABASE_URL: `sqlite:${empty}` });
      expect(noTable.code).toBe(1);
      expect(noTable.stderr).toBe(
        `nestjs-user-sessions: There is no table "user_sessions" in the SQLite file ${empty}: ` +
          'pass --table-name if UserSessionsModule has another tableName, or create the table first.\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('help: exit 0 on stdout; no command: the help on stderr and exit 2', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await cli(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: nestjs-user-sessions <command> \[options\]\n/);
      expect(result.stdout).toContain('clear-expired');
      expect(result.stdout).toContain('import-express-sessions');
    }
    for (const argv of [['clear-expired', '--help'], ['help', 'clear-expired'], ['clear-expired', '-h']]) {
      const result = await cli(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: nestjs-user-sessions clear-expired \[options\]\n/);
      expect(result.stdout).toContain('--batch-size <n>');
    }
    const importHelp = await cli(['import-express-sessions', '--help']);
    expect(importHelp.stdout).toContain('--user-path <path>');
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^Usage: nestjs-user-sessions <command>/);
  });

  it.each([
    [['frob'], 'Unknown command "frob"; the commands are clear-expired, import-express-sessions. Run "nestjs-user-sessions --help" for usage.'],
    [['--batch-size', '5'], 'The command comes first, not "--batch-size"; the commands are clear-expired, import-express-sessions. Run "nestjs-user-sessions --help" for usage.'],
    [['clear-expired', '--frob'], 'clear-expired: unknown option --frob. Run "nestjs-user-sessions clear-expired --help" for usage.'],
    [['import-express-sessions', '--table-nam', 'x'], 'import-express-sessions: unknown option --table-nam. Run "nestjs-user-sessions import-express-sessions --help" for usage.'],
    [['clear-expired', 'now'], 'clear-expired: Unexpected argument \'now\'. Run "nestjs-user-sessions clear-expired --help" for usage.'],
    [['clear-expired', '--batch-size'], 'clear-expired: Option \'--batch-size <value>\' argument missing. Run "nestjs-user-sessions clear-expired --help" for usage.'],
    [['clear-expired', '--batch-size', '0'], '--batch-size must be a whole number from 1 to 100000, got "0".'],
    [['clear-expired', '--batch-size', '100001'], '--batch-size must be a whole number from 1 to 100000, got "100001".'],
    [['import-express-sessions', '--batch-size=1.5'], '--batch-size must be a whole number from 1 to 2000, got "1.5".'],
    [['import-express-sessions', '--batch-size', '5000'], '--batch-size must be a whole number from 1 to 2000, got "5000".'],
    [['clear-expired', '--table-name', 'user sessions'], '--table-name must be a plain SQL identifier (letters, digits, _; at most 63), got "user sessions".'],
    [['clear-expired', '--user-id-type', 'int'], '--user-id-type must be string, number or uuid, got "int".'],
    [['clear-expired', '--data-source', 'ds.mjs', '--table-name', 'sessions'], '--table-name and --user-id-type go with DATABASE_URL; with --data-source, the file configures the entity itself (configureSessionEntity({ tableName, userIdType })).'],
    [['import-express-sessions', '--user-path='], '--user-path needs a dot path such as passport.user.'],
    [['import-express-sessions', '--max-age', '14d'], '--max-age must be the module\'s maxAge in milliseconds (at least 1000), got "14d".'],
    [['import-express-sessions', '--max-age', '999'], '--max-age must be the module\'s maxAge in milliseconds (at least 1000), got "999".'],
  ])('%j is a usage error: exit 2, nothing done', async (argv, message) => {
    // DATABASE_URL points nowhere reachable: a usage error must stop before connecting.
    expect(await cli(argv, { DATABASE_URL: 'postgres://app@127.0.0.1:1/app' })).toEqual({
      code: 2,
      stdout: '',
      stderr: `nestjs-user-sessions: ${message}\n`,
    });
  });

  it('no DATABASE_URL and no --data-source, or an unsupported DATABASE_URL: exit 2, the password never shown', async () => {
    for (const env of [{}, { DATABASE_URL: ' ' }]) {
      const result = await cli(['clear-expired'], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^nestjs-user-sessions: No database: set DATABASE_URL \(postgres:\/\/…, .*\), or pass --data-source <file>\.\n$/);
    }
    const unsupported = await cli(['clear-expired'], { DATABASE_URL: 'mongodb://app:s3cret@db.example/app' });
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr).toMatch(/^nestjs-user-sessions: DATABASE_URL "mongodb:…" is not supported\. Accepted: postgres:\/\/…/);
    expect(unsupported.stderr).not.toContain('s3cret');
  });
});
