/**
 * A storage call that got no answer in time. The store turns it into a 503 like any other
 * unreachable database; the call itself may still finish later (a timer cannot cancel a
 * statement), which is why the driver's own timeouts are recommended beside this one.
 */
export class StorageTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The session storage did not answer within ${timeoutMs} ms`);
    this.name = 'StorageTimeoutError';
  }
}

/**
 * `work`, or a `StorageTimeoutError` once `timeoutMs` have passed without it settling; 0 waits
 * as long as `work` does. `mapError`, when given, turns the failure (the timeout or the work's
 * own) into the error the returned promise rejects with.
 */
export function withStorageTimeout<T>(work: Promise<T>, timeoutMs: number, mapError?: (error: unknown) => unknown): Promise<T> {
  if (!(timeoutMs > 0)) {
    return mapError ? work.catch((error: unknown) => Promise.reject(mapError(error))) : work;
  }
  return withTimeout(work, timeoutMs, () => new StorageTimeoutError(timeoutMs), mapError);
}

/**
 * `work`, or the error of `timedOut()` once `timeoutMs` have passed without it settling. A late
 * result or failure of `work` is ignored (and never unhandled). The timer does not keep the
 * process alive. `mapError` turns the one failure reported (the timeout or the work's own)
 * into the error the returned promise rejects with; it is not called for a late failure.
 *
 * The timer is started one microtask later, and only if `work` has not settled by then: a
 * storage that answers synchronously (better-sqlite3) hands back a settled promise, whose
 * reaction runs first, so every read on SQLite makes no timer at all.
 */
export function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  timedOut: () => Error,
  mapError: (error: unknown) => unknown = (error) => error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    work.then(
      (value) => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        reject(mapError(error));
      },
    );
    queueMicrotask(() => {
      if (settled) return;
      timer = setTimeout(() => {
        settled = true;
        reject(mapError(timedOut()));
      }, timeoutMs);
      timer.unref?.();
    });
  });
}
