import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeTcp } from './services.js';

/**
 * Database servers of the test's own, on a free port in a temporary directory, that a test
 * may stop and start (or kill) at will; the machine's servers are never touched. Found from
 * the installed binaries: PostgreSQL's `initdb`/`pg_ctl` (`PG_BINDIR`, else the newest
 * /usr/lib/postgresql/N/bin) and MariaDB's `mariadb-install-db`/`mariadbd`. As root they run
 * as the `postgres` and `mysql` users, since both servers refuse to run as root.
 */

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

function uidOf(user: string): number | null {
  try {
    return Number(execFileSync('id', ['-u', user], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
  } catch {
    return null;
  }
}

function onPath(name: string, dirs = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']): string | null {
  const path = [...(process.env.PATH ?? '').split(':'), ...dirs].map((dir) => join(dir, name)).find((file) => existsSync(file));
  return path ?? null;
}

/** A free loopback port (free when asked; taken by whoever binds it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

// ------------------------------------------------------------------------------ PostgreSQL

function pgBinDir(): string | null {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  return versions.map((version) => join(root, version, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl'))) ?? null;
}

/** Why a throw-away PostgreSQL cannot be made here, or null when it can. */
export function throwawayPostgresUnavailable(): string | null {
  const dir = pgBinDir();
  if (!dir || !existsSync(join(dir, 'initdb'))) return 'no PostgreSQL server binaries (initdb, pg_ctl; set PG_BINDIR)';
  if (isRoot && (uidOf('postgres') === null || !onPath('runuser'))) return 'running as root without a postgres user or runuser';
  return null;
}

/** A PostgreSQL cluster of the test's own: `initdb` into a temp dir, `pg_ctl` to start and stop. */
export class ThrowawayPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  /** Creates the cluster (trust auth, user postgres) and starts it. */
  static async create(): Promise<ThrowawayPostgres> {
    const reason = throwawayPostgresUnavailable();
    if (reason) throw new Error(`Cannot make a throw-away PostgreSQL: ${reason}`);
    const dir = mkdtempSync(join(tmpdir(), 'user-sessions-pg-'));
    if (isRoot) chownSync(dir, uidOf('postgres')!, -1);
    const cluster = new ThrowawayPostgres(await freePort(), dir, pgBinDir()!);
    process.once('exit', () => cluster.destroySync());
    await cluster.pg('initdb', ['-D', cluster.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await cluster.start();
    return cluster;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  /** Starts the server and waits until it accepts connections (after crash recovery, too). */
  async start(): Promise<void> {
    // fsync off: a throw-away cluster on a shared machine; a crash of the server (not of the
    // machine) loses nothing with it.
    const settings = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    await this.pg('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-o', settings, '-w', '-t', '60', 'start']);
  }

  /**
   * Stops the server: `fast` ends every session and shuts down cleanly, `immediate` quits at
   * once like a crash (the next start runs crash recovery).
   */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** A new, empty database in the cluster, for one test. */
  async createDatabase(name: string): Promise<void> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
  }

  /** Stops the server if it runs and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private destroySync(): void {
    if (!existsSync(this.dir)) return;
    try {
      execFileSync(...this.command('pg_ctl', ['-D', this.data, '-m', 'immediate', 'stop']), { stdio: 'ignore' });
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(program: string, args: string[]): Promise<void> {
    const [file, argv] = this.command(program, args);
    await run(file, argv, { timeout: 90_000 });
  }

  private command(program: string, args: string[]): [string, string[]] {
    const file = join(this.bin, program);
    return isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  }
}

// ------------------------------------------------------------------------------ MariaDB

/** Why a throw-away MariaDB cannot be made here, or null when it can. */
export function throwawayMariaDbUnavailable(): string | null {
  if (!onPath('mariadbd') || !onPath('mariadb-install-db')) return 'no MariaDB server binaries (mariadbd, mariadb-install-db)';
  if (isRoot && uidOf('mysql') === null) return 'running as root without a mysql user';
  return null;
}

/** A MariaDB server of the test's own, a child process over a temp data directory. */
export class ThrowawayMariaDb {
  private server: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Creates the data directory (user root without a password) and starts the server. */
  static async create(): Promise<ThrowawayMariaDb> {
    const reason = throwawayMariaDbUnavailable();
    if (reason) throw new Error(`Cannot make a throw-away MariaDB: ${reason}`);
    const dir = mkdtempSync(join(tmpdir(), 'user-sessions-mariadb-'));
    if (isRoot) chownSync(dir, uidOf('mysql')!, -1);
    const server = new ThrowawayMariaDb(await freePort(), dir);
    process.once('exit', () => server.server?.kill('SIGKILL'));
    await run(onPath('mariadb-install-db')!, [
      ...(isRoot ? ['--user=mysql'] : []),
      `--datadir=${server.data}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ], { timeout: 90_000 });
    await server.start();
    return server;
  }

  /** A new, empty database on the server (user root, no password), for one test. */
  async createDatabase(name: string): Promise<void> {
    const mysql = await import('mysql2/promise');
    const connection = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root' });
    try {
      await connection.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await connection.end();
    }
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  /** Starts the server and waits until it answers on its port. */
  async start(): Promise<void> {
    const server = spawn(onPath('mariadbd')!, [
      '--no-defaults',
      ...(isRoot ? ['--user=mysql'] : []),
      `--datadir=${this.data}`,
      `--port=${this.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(this.dir, 'mysqld.sock')}`,
      `--pid-file=${join(this.dir, 'mysqld.pid')}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--innodb-flush-log-at-trx-commit=2',
    ], { stdio: 'ignore' });
    this.server = server;
    let exited = false;
    server.once('exit', () => (exited = true));
    await waitFor('MariaDB', async () => {
      if (exited) throw new Error(`MariaDB exited at start; see ${this.data}`);
      return (await probeTcp('127.0.0.1', this.port, 500)) === null;
    });
  }

  /** Stops the server: `clean` (SIGTERM: a shutdown) or `crash` (SIGKILL). Waits for the exit. */
  async stop(mode: 'clean' | 'crash'): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill(mode === 'clean' ? 'SIGTERM' : 'SIGKILL');
    await exited;
    this.server = null;
  }

  async destroy(): Promise<void> {
    await this.stop('crash');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------ Redis

/** Why a throw-away Redis cannot be made here, or null when it can. */
export function throwawayRedisUnavailable(): string | null {
  return onPath('redis-server') ? null : 'no redis-server binary';
}

/** A Redis server of the test's own on a free port, in memory only, that a test may stop and start again. */
export class ThrowawayRedis {
  private server: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async create(): Promise<ThrowawayRedis> {
    const reason = throwawayRedisUnavailable();
    if (reason) throw new Error(`Cannot make a throw-away Redis: ${reason}`);
    const redis = new ThrowawayRedis(await freePort());
    process.once('exit', () => redis.server?.kill('SIGKILL'));
    await redis.start();
    return redis;
  }

  /** Starts the server (empty: nothing is saved) and waits until it answers on its port. */
  async start(): Promise<void> {
    const server = spawn(onPath('redis-server')!, [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
    ], { stdio: 'ignore' });
    this.server = server;
    let exited = false;
    server.once('exit', () => (exited = true));
    await waitFor('Redis', async () => {
      if (exited) throw new Error('Redis exited at start');
      return (await probeTcp('127.0.0.1', this.port, 500)) === null;
    });
  }

  /** Stops the server (SIGKILL: no goodbye to the clients) and waits for the exit. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
    this.server = null;
  }
}
