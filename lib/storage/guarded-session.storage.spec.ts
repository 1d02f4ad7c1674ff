import { describe, expect, it } from 'vitest';
import { GuardedSessionStorage } from './guarded-session.storage.js';
import type { SessionStorage } from './session-storage.interface.js';
import { StorageTimeoutError } from './storage-timeout.js';
import { SessionStoreUnavailableException } from '../exceptions/session-store-unavailable.exception.js';

/** A storage whose every method answers with `answer()`. */
function storageAnswering(answer: () => Promise<unknown>): SessionStorage {
  return new Proxy({}, { get: () => answer }) as SessionStorage;
}

describe('GuardedSessionStorage', () => {
  it('passes answers through', async () => {
    const guarded = new GuardedSessionStorage(storageAnswering(async () => true), 1000);
    await expect(guarded.update('id', {})).resolves.toBe(true);
  });

  it('turns an unreachable database into the 503 exception, with the cause kept', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const guarded = new GuardedSessionStorage(storageAnswering(() => Promise.reject(refused)), 1000);
    const error = await guarded.find('id').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionStoreUnavailableException);
    expect((error as Error).cause).toBe(refused);
  });

  it('rethrows a statement the database refused as it is: a bug, not an outage', async () => {
    const refused = Object.assign(new Error('insert or update violates foreign key constraint'), { code: '23503' });
    const guarded = new GuardedSessionStorage(storageAnswering(() => Promise.reject(refused)), 1000);
    await expect(guarded.insert({} as never)).rejects.toBe(refused);
  });

  it('answers 503 when the storage is silent past the timeout, but lets the cleanup take its time', async () => {
    let finish: (value: number) => void = () => undefined;
    const guarded = new GuardedSessionStorage(storageAnswering(() => new Promise((resolve) => (finish = resolve))), 20);
    const error = await guarded.find('id').catch((caught: unknown) => caught);
    expect((error as Error).cause).toBeInstanceOf(StorageTimeoutError);
    const cleanup = guarded.deleteExpired(new Date());
    await new Promise((resolve) => setTimeout(resolve, 60));
    finish(7);
    await expect(cleanup).resolves.toBe(7);
  });

  it('guards a statement that is not the storage\'s (a synchronous throw included)', async () => {
    const guarded = new GuardedSessionStorage(storageAnswering(async () => null), 1000);
    const error = await guarded
      .run(() => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionStoreUnavailableException);
  });
});
