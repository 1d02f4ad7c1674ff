import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { configureSessionEntity, Session } from '../session/session.entity.js';
import { SecurityActivityRecord } from '../session/security-activity.entity.js';
import type { UserIdType } from '../session/user-id.js';
import { CliError, EXIT_USAGE } from './cli.error.js';
import { connectionOptionsFromUrl, DATABASE_URL_FORMS } from './database-url.js';

/** How a command finds its database: `--data-source`, else `DATABASE_URL` and the entity's shape. */
export interface DatabaseFlags {
  /** A JS module exporting a TypeORM DataSource that includes the `Session` entity. */
  dataSource?: string;
  /** With `DATABASE_URL`: the session table's name. */
  tableName?: string;
  /** With `DATABASE_URL`: the type of its `user_id` column. */
  userIdType?: UserIdType;
  /** With `DATABASE_URL`: the security activity table's name (`clear-expired`). */
  activityTableName?: string;
}

/** An open connection to the database that holds the session table. */
export interface CliDatabase {
  dataSource: DataSource;
  /** The database for messages: URL or file, without the password. */
  description: string;
}

/**
 * Opens the database, checks that the session table is there, runs `action` and closes the
 * connection. Every failure becomes a one-line `CliError` that names the database without its
 * password.
 */
export async function withDatabase<T>(
  flags: DatabaseFlags,
  env: Record<string, string | undefined>,
  action: (database: CliDatabase) => Promise<T>,
): Promise<T> {
  const dataSource = flags.dataSource !== undefined
    ? await loadDataSourceFile(flags.dataSource)
    : dataSourceFromUrl(env.DATABASE_URL, flags);
  const description = describeDatabase(dataSource.options);
  const secrets = secretsOf(dataSource.options);
  if (!dataSource.isInitialized) {
    try {
      await dataSource.initialize();
    } catch (error) {
      throw new CliError(`Cannot connect to ${description}: ${hide(reasonOf(error), secrets)}`);
    }
  }
  try {
    await checkSessionTable(dataSource, description, flags.dataSource);
    return await action({ dataSource, description });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${hide(reasonOf(error), secrets)} (on ${description})`);
  } finally {
    await dataSource.destroy().catch(() => undefined);
  }
}

function dataSourceFromUrl(url: string | undefined, flags: DatabaseFlags): DataSource {
  if (url === undefined || url.trim() === '') {
    throw new CliError(
      `No database: set DATABASE_URL (${DATABASE_URL_FORMS}), or pass --data-source <file>.`,
      EXIT_USAGE,
    );
  }
  let connection;
  try {
    connection = connectionOptionsFromUrl(url);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT_USAGE);
  }
  if (connection.type === 'better-sqlite3' && !existsSync(connection.database)) {
    // better-sqlite3 would create an empty file: a typo in the path must not go unnoticed.
    throw new CliError(`The SQLite file ${connection.database} does not exist.`);
  }
  configureSessionEntity({ tableName: flags.tableName, userIdType: flags.userIdType, activityTableName: flags.activityTableName });
  try {
    return new DataSource({
      ...connection,
      // pg waits for ever by default on a host that drops packets; mysql2 gives up after 10 s.
      ...(connection.type === 'postgres' ? { connectTimeoutMS: 10_000 } : {}),
      entities: [Session, SecurityActivityRecord],
    });
  } catch (error) {
    // TypeORM loads the driver here: "package not installed" is the likely reason.
    throw new CliError(reasonOf(error));
  }
}

/**
 * The DataSource a data-source file exports, found as the TypeORM CLI finds it: the default
 * export or a named one (a promise of one too), exactly one. It is never allowed to change the
 * schema: synchronize, migrationsRun and dropSchema are turned off before it connects.
 */
async function loadDataSourceFile(file: string): Promise<DataSource> {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new CliError(`The data-source file ${file} does not exist.`);
  }
  let moduleExports: Record<string, unknown>;
  try {
    moduleExports = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new CliError(`Cannot load the data-source file ${file}: ${reasonOf(error)}`);
  }
  const found = new Set<DataSource>();
  for (const value of Object.values(moduleExports)) {
    const awaited = await value;
    if (isDataSource(awaited)) found.add(awaited);
  }
  if (found.size !== 1) {
    throw new CliError(
      found.size === 0
        ? `The data-source file ${file} exports no TypeORM DataSource; export one, as default or by name.`
        : `The data-source file ${file} exports ${found.size} DataSources; export only the one that holds the sessions.`,
    );
  }
  const [dataSource] = found;
  if (!dataSource.isInitialized) {
    dataSource.setOptions({ synchronize: false, migrationsRun: false, dropSchema: false });
  }
  return dataSource;
}

/** Like TypeORM's own check: DataSource classes of two copies of typeorm are both accepted. */
function isDataSource(value: unknown): value is DataSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)['@instanceof'] === Symbol.for('DataSource')
  );
}

async function checkSessionTable(dataSource: DataSource, description: string, dataSourceFile?: string): Promise<void> {
  if (!dataSource.hasMetadata(Session)) {
    throw new CliError(
      `The data source in ${dataSourceFile} does not include the Session entity: ` +
        "add Session (import { Session } from 'nestjs-user-sessions', the installation this command runs from) to its entities.",
    );
  }
  const { tablePath, tableName } = dataSource.getMetadata(Session);
  const runner = dataSource.createQueryRunner();
  let exists: boolean;
  try {
    exists = await runner.hasTable(tablePath);
  } finally {
    await runner.release();
  }
  if (!exists) {
    const hint = dataSourceFile === undefined
      ? 'pass --table-name if UserSessionsModule has another tableName'
      : 'call configureSessionEntity({ tableName }) in the data-source file if UserSessionsModule has another tableName';
    throw new CliError(`There is no table "${tableName}" in ${description}: ${hint}, or create the table first.`);
  }
}

/** The database a data source connects to, for messages: never its password or URL query. */
export function describeDatabase(options: DataSourceOptions): string {
  const settings = options as Partial<Record<'url' | 'host' | 'username' | 'database', string>> & { port?: number };
  // 'sqlite' (the sqlite3 driver) is a type of TypeORM 0.3 only.
  if (options.type === 'better-sqlite3' || (options.type as string) === 'sqlite') {
    return `the SQLite file ${settings.database}`;
  }
  if (settings.url !== undefined) {
    try {
      const url = new URL(settings.url);
      const user = url.username === '' ? '' : `${url.username}@`;
      return `${url.protocol}//${user}${url.host}${url.pathname}`;
    } catch {
      return `the ${options.type} database`;
    }
  }
  const user = settings.username === undefined ? '' : `${encodeURIComponent(settings.username)}@`;
  const port = settings.port === undefined ? '' : `:${settings.port}`;
  return `${options.type}://${user}${settings.host ?? 'localhost'}${port}/${settings.database ?? ''}`;
}

/** Passwords that could appear in a driver's message, so that they are masked there too. */
function secretsOf(options: DataSourceOptions): string[] {
  const settings = options as Partial<Record<'url' | 'password', unknown>>;
  const secrets: string[] = [];
  if (typeof settings.password === 'string') secrets.push(settings.password);
  if (typeof settings.url === 'string') {
    try {
      const password = decodeURIComponent(new URL(settings.url).password);
      secrets.push(password, encodeURIComponent(password));
    } catch {
      // not a URL: TypeORM will say so
    }
  }
  return secrets.filter((secret) => secret.length > 0);
}

function hide(message: string, secrets: string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join('***'), message);
}

/**
 * The driver's reason in one line. Node reports a refused "localhost" (tried on IPv4 and IPv6)
 * as an AggregateError with an empty message: its inner errors say why.
 */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '' && error.errors.length > 0) {
    return [...new Set(error.errors.map(reasonOf))].join('; ');
  }
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : typeof code === 'string' ? code : String(error);
  return text.split('\n')[0].trim();
}
