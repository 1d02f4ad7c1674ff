/**
 * One variant's app, in its own process so that its RSS is its own:
 *
 *   node dist/bench/server.js <variant> <database-json> [sessions] [window-seconds]
 *
 * Forked by `run.ts`. It patches the database driver to count statements, starts the app
 * (`variants/index.ts`), creates `sessions` sessions, and talks over IPC (`protocol.ts`): `ready`
 * once, then on demand `reset` (the variant's pre-window step, then zeroed counters) and
 * `sample` (once the requests in flight have finished: statements, requests, RSS right after the
 * load, peak RSS during it, RSS and heap after a forced GC, and what the variant's own check after
 * the window found wrong).
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import {
  VARIANT_NAMES,
  type BenchDatabase,
  type ChildMessage,
  type ParentMessage,
  type VariantName,
} from './protocol.js';
import { installStatementCounter, statements, verifyStatementCounter } from './statement-counter.js';
import { startVariant } from './variants/index.js';

/** How long a sample waits for the requests still being served to finish. */
const IN_FLIGHT_WAIT_MS = 10_000;

/** A full GC, when the parent started this process with `--expose-gc`. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/**
 * With `--cpu-prof`, the number of requests this process served in all, beside its profile
 * (`<profile>.requests.json`), so that `profile-summary.ts` can show time per request.
 */
function writeProfileRequests(requests: number): void {
  const option = (name: string) => process.execArgv.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
  const dir = option('--cpu-prof-dir');
  const name = option('--cpu-prof-name');
  if (!dir || !name) return;
  // V8 makes the directory only when it writes the first profile, at an exit.
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.requests.json`), JSON.stringify({ requests }));
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const [variantArg, databaseJson, sessionsArg, secondsArg] = process.argv.slice(2);
  if (!VARIANT_NAMES.includes(variantArg as VariantName) || !databaseJson) {
    throw new Error(`usage: server.js <${VARIANT_NAMES.join('|')}> <database-json> [sessions] [window-seconds]`);
  }
  const variant = variantArg as VariantName;
  const database = JSON.parse(databaseJson) as BenchDatabase;
  const sessions = Number(sessionsArg ?? 50);
  const windowSeconds = Number(secondsArg ?? 5);

  installStatementCounter(database.kind);
  const started = await startVariant(variant, database, { sessions, windowSeconds });
  await verifyStatementCounter(database.kind, started.dataSource);

  let httpRequests = 0;
  let requestsInAll = 0;
  // A WebSocket variant's requests are its messages.
  let messagesAtReset = started.messagesAnswered?.() ?? 0;
  const windowRequests = () => (started.messagesAnswered ? started.messagesAnswered() - messagesAtReset : httpRequests);
  const server = started.app.getHttpServer() as Server;
  let inFlight = 0;
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    httpRequests++;
    requestsInAll++;
    inFlight++;
    response.once('close', () => inFlight--);
  });
  let peakRss = 0;
  let cpuAtReset = process.cpuUsage();
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50).unref();

  const sample = async (id: number) => {
    // A request still being served when the load stopped (a slow DELETE) belongs to the window.
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    while (inFlight > 0 && Date.now() < deadline) await sleep(10);
    const cpu = process.cpuUsage(cpuAtReset);
    const rss = process.memoryUsage().rss;
    const counts = statements.snapshot();
    const requests = windowRequests();
    // After the counters are read: the check's own statements are not the window's.
    const problems = await (started.afterMeasure?.(requests) ?? Promise.resolve([])).catch((error: unknown) => [
      `the check after the window failed: ${String(error)}`,
    ]);
    collectGarbage();
    const afterGc = process.memoryUsage();
    send({
      type: 'sample',
      id,
      statements: counts,
      requests,
      rss,
      peakRss: Math.max(peakRss, rss),
      rssAfterGc: afterGc.rss,
      heapUsedAfterGc: afterGc.heapUsed,
      cpuMicros: cpu.user + cpu.system,
      problems,
    });
  };

  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'reset':
        void (started.beforeMeasure?.() ?? Promise.resolve()).then(
          (setup) => {
            statements.reset();
            httpRequests = 0;
            messagesAtReset = started.messagesAnswered?.() ?? 0;
            peakRss = process.memoryUsage.rss();
            cpuAtReset = process.cpuUsage();
            send({ type: 'reset-done', id: message.id, ...setup });
          },
          (error: unknown) => send({ type: 'reset-done', id: message.id, error: String(error) }),
        );
        break;
      case 'sample':
        void sample(message.id);
        break;
      case 'stop':
        writeProfileRequests(started.messagesAnswered?.() ?? requestsInAll);
        void started.app.close().finally(() => process.exit(0));
        break;
    }
  });
  // The parent is gone (crashed or killed): do not linger.
  process.on('disconnect', () => process.exit(0));

  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  send({ type: 'ready', port: address.port, ...started.ready });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
