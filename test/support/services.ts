import net from 'node:net';

/** External services the suites use, where to find them, and what they need. */
export const SERVICES = {
  postgres: { label: 'PostgreSQL', host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432) },
  mariadb: { label: 'MariaDB', host: process.env.MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.MYSQL_PORT ?? 3306) },
  redis: { label: 'Redis', host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) },
} as const;

export type ServiceName = keyof typeof SERVICES;

/** What global setup found: for each service, null when reachable, else the reason to skip. */
export type ServiceProbe = Record<ServiceName, string | null>;

/**
 * What suites need beside the servers above, each checked by its own suite: Chromium for the
 * browser suite; PostgreSQL's and MariaDB's server binaries for the fault suite, which runs
 * throw-away servers of its own (`pg-cluster`, `mariadb-cluster`); `redis-server` for the
 * Redis cache suite, which stops a throw-away Redis mid-run.
 */
const OTHER_REQUIREMENTS = ['chromium', 'pg-cluster', 'mariadb-cluster', 'redis-server'];

/** Services that `USER_SESSIONS_REQUIRE` (comma list, or `all`) says must be there. */
export function requiredServices(): Set<string> {
  const value = process.env.USER_SESSIONS_REQUIRE ?? '';
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  return new Set(names.includes('all') ? [...Object.keys(SERVICES), ...OTHER_REQUIREMENTS] : names);
}

/** Resolves to null when a TCP connection opens within the timeout, else to the reason. */
export function probeTcp(host: string, port: number, timeoutMs = 1500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`not reachable at ${host}:${port} (${error.code ?? error.message})`));
  });
}
