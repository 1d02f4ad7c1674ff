import { afterEach, describe, expect, it, vi } from 'vitest';
import { StorageTimeoutError, withStorageTimeout } from './storage-timeout.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('withStorageTimeout', () => {
  it('passes a result or a failure through when it comes in time', async () => {
    await expect(withStorageTimeout(Promise.resolve(7), 1000)).resolves.toBe(7);
    const failure = new Error('ECONNREFUSED');
    await expect(withStorageTimeout(Promise.reject(failure), 1000)).rejects.toBe(failure);
  });

  it('fails with StorageTimeoutError when no answer comes in time', async () => {
    vi.useFakeTimers();
    let outcome: unknown = 'pending';
    withStorageTimeout(new Promise(() => undefined), 250).catch((error: unknown) => (outcome = error));
    await vi.advanceTimersByTimeAsync(249);
    expect(outcome).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(StorageTimeoutError);
    expect((outcome as Error).message).toBe('The session storage did not answer within 250 ms');
  });

  it('ignores a late failure instead of leaving it unhandled', async () => {
    vi.useFakeTimers();
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let fail!: (error: Error) => void;
      const pending = withStorageTimeout(new Promise((_, reject) => (fail = reject)), 100);
      const settled = expect(pending).rejects.toBeInstanceOf(StorageTimeoutError);
      await vi.advanceTimersByTimeAsync(100);
      await settled;
      fail(new Error('Connection lost'));
      vi.useRealTimers();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('makes no timer for work that has settled already (a synchronous storage), and one for work still pending', async () => {
    vi.useFakeTimers();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const settled = withStorageTimeout(Promise.resolve('row'), 1000);
    const failed = withStorageTimeout(Promise.reject(new Error('refused')), 1000);
    failed.catch(() => undefined);
    let answer!: (value: string) => void;
    const pending = withStorageTimeout(new Promise<string>((resolve) => (answer = resolve)), 1000);
    await expect(settled).resolves.toBe('row');
    await expect(failed).rejects.toThrow('refused');
    expect(timers).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);
    answer('late row');
    await expect(pending).resolves.toBe('late row');
    expect(vi.getTimerCount()).toBe(0);
    timers.mockRestore();
  });

  it('0 waits as long as the work does, with no timer', () => {
    const work = new Promise(() => undefined);
    expect(withStorageTimeout(work, 0)).toBe(work);
  });

  it('maps the timeout and the work\'s own failure through mapError, once', async () => {
    const mapError = vi.fn((error: unknown) => new Error(`mapped: ${(error as Error).message}`));
    await expect(withStorageTimeout(Promise.reject(new Error('refused')), 1000, mapError)).rejects.toThrow('mapped: refused');
    await expect(withStorageTimeout(Promise.reject(new Error('refused')), 0, mapError)).rejects.toThrow('mapped: refused');

    vi.useFakeTimers();
    try {
      let fail!: (error: Error) => void;
      const pending = withStorageTimeout(new Promise((_, reject) => (fail = reject)), 100, mapError);
      const settled = expect(pending).rejects.toThrow('mapped: The session storage did not answer within 100 ms');
      await vi.advanceTimersByTimeAsync(100);
      await settled;
      fail(new Error('late'));
      await vi.advanceTimersByTimeAsync(10);
    } finally {
      vi.useRealTimers();
    }
    // The late failure after the timeout is not mapped (the store would log it a second time).
    expect(mapError.mock.calls.map(([error]) => (error as Error).message)).toEqual([
      'refused',
      'refused',
      'The session storage did not answer within 100 ms',
    ]);
  });
});
