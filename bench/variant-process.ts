/**
 * The parent's handle on one forked variant child (`server.ts`): start it and wait for
 * `ready`, reset and sample its counters, stop it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase, ChildMessage, ReadyMessage, SampleMessage, VariantName } from './protocol.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./server.js', import.meta.url));
const START_TIMEOUT_MS = 120_000;
const REPLY_TIMEOUT_MS = 30_000;

export class VariantProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (message: ChildMessage) => void>();
  private exited = false;

  private constructor(
    readonly variant: VariantName,
    private readonly child: ChildProcess,
    readonly ready: ReadyMessage,
  ) {
    child.on('message', (message: ChildMessage) => {
      if ('id' in message) {
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      }
    });
    child.on('exit', () => {
      this.exited = true;
    });
    // A send on a channel that just closed: the exit handler and ask()'s timeout cover it.
    child.on('error', () => {});
  }

  /**
   * Forks the child and resolves when its app listens with its `sessions` sessions created
   * (`windowSeconds`: how long a measurement lasts, for the variants that use up sessions). With
   * `cpuProfileDir`, the child writes a V8 CPU profile there when it exits (`--cpu-prof`).
   */
  static start(
    variant: VariantName,
    database: BenchDatabase,
    { sessions, windowSeconds }: { sessions: number; windowSeconds: number },
    cpuProfileDir?: string | null,
  ): Promise<VariantProcess> {
    const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, `--cpu-prof-name=${variant}-${process.pid}.cpuprofile`] : [];
    const child = fork(SERVER_SCRIPT, [variant, JSON.stringify(database), String(sessions), String(windowSeconds)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--expose-gc', ...profile],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${variant}: not ready within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new Error(`${variant}: exited before ready (code ${code}, signal ${signal})`));
      };
      child.once('exit', onExit);
      child.on('message', function onMessage(message: ChildMessage) {
        if (message.type === 'ready') {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.off('message', onMessage);
          resolve(new VariantProcess(variant, child, message));
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.kill('SIGKILL');
          reject(new Error(`${variant} failed to start:\n${message.message}`));
        }
      });
    });
  }

  /**
   * Runs the child's pre-window step and zeroes its statement, request and peak-RSS counters.
   * Cookies or ids the child hands out for the window replace those of `ready`.
   */
  async reset(): Promise<void> {
    const reply = await this.ask({ type: 'reset', id: this.nextId++ });
    if (reply.type !== 'reset-done') return;
    if (reply.error) throw new Error(`${this.variant}: before the measurement: ${reply.error}`);
    if (reply.cookies) this.ready.cookies = reply.cookies;
    if (reply.ids) this.ready.ids = reply.ids;
  }

  /** Statements and requests since the last reset, and memory now. */
  async sample(): Promise<SampleMessage> {
    return (await this.ask({ type: 'sample', id: this.nextId++ })) as SampleMessage;
  }

  /** Asks the child to close its app and exit; kills it (by its pid) if it does not. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ type: 'stop' });
    else this.child.kill('SIGKILL');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private ask(message: { type: 'reset' | 'sample'; id: number }): Promise<ChildMessage> {
    if (this.exited) return Promise.reject(new Error(`${this.variant}: child has exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(message.id);
        reject(new Error(`${this.variant}: no reply to ${message.type} within ${REPLY_TIMEOUT_MS / 1000} s`));
      }, REPLY_TIMEOUT_MS);
      this.waiting.set(message.id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.send(message);
    });
  }
}
