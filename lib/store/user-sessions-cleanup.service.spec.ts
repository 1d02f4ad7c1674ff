import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserSessionsCleanupService } from './user-sessions-cleanup.service.js';
import { resolveUserSessionsOptions } from '../options/user-sessions.options.js';
import type { SessionStoreService } from './session-store.service.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function serviceWith(clearExpired: () => Promise<number>, cleanupInterval = 5000) {
  const store = { clearExpired: vi.fn(clearExpired) } as unknown as SessionStoreService & { clearExpired: ReturnType<typeof vi.fn> };
  return { store, service: new UserSessionsCleanupService(resolveUserSessionsOptions({ cleanupInterval }), store) };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('UserSessionsCleanupService', () => {
  it('never runs two cleanups at once: a second call joins the first', async () => {
    const run = deferred<number>();
    const { store, service } = serviceWith(() => run.promise);
    const first = service.runOnce();
    const second = service.runOnce();
    expect(second).toBe(first);
    expect(store.clearExpired).toHaveBeenCalledTimes(1);
    run.resolve(7);
    expect(await first).toBe(7);
    // Once finished, the next call starts a new run.
    store.clearExpired.mockResolvedValueOnce(0);
    expect(await service.runOnce()).toBe(0);
    expect(store.clearExpired).toHaveBeenCalledTimes(2);
  });

  it('turns a failed cleanup into a warning and null, never a rejection', async () => {
    const { service } = serviceWith(() => Promise.reject(new Error('connect ECONNREFUSED')));
    const warn = vi.spyOn((service as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn').mockImplementation(() => {});
    expect(await service.runOnce()).toBeNull();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED'));
  });

  it('runs on an unref’d interval from bootstrap, and shutdown stops it and waits for the run in progress', async () => {
    vi.useFakeTimers();
    const run = deferred<number>();
    const { store, service } = serviceWith(() => run.promise, 5000);
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    service.onApplicationBootstrap();
    const timer = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    expect(store.clearExpired).not.toHaveBeenCalled();

    vi.advanceTimersByTime(5000);
    expect(store.clearExpired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000); // still running: not doubled
    expect(store.clearExpired).toHaveBeenCalledTimes(1);

    let stopped = false;
    const shutdown = service.onApplicationShutdown().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    // The run in progress is told to stop after its current batch.
    expect(store.clearExpired.mock.calls[0][0].signal.aborted).toBe(true);
    run.resolve(3);
    await shutdown;
    vi.advanceTimersByTime(60_000);
    expect(store.clearExpired).toHaveBeenCalledTimes(1);
  });

  it('starts no timer when cleanupInterval is 0', () => {
    const { service } = serviceWith(() => Promise.resolve(0), 0);
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    service.onApplicationBootstrap();
    expect(setIntervalSpy).not.toHaveBeenCalled();
  });
});
