import { expect, it, vi } from 'vitest';
import { LessThan } from 'typeorm';
import { describeEachDatabase } from './support/databases.js';
import { useTestApp } from './support/test-app.js';

describeEachDatabase('cleanupInterval', (kind) => {
  const t = useTestApp(kind, { cleanupInterval: 1000, cleanupBatchSize: 2 });

  it('deletes expired sessions on its interval inside the app and keeps the live ones', async () => {
    const live = await t.store.create({ userId: 'alice' });
    const expired = await Promise.all(Array.from({ length: 5 }, () => t.store.create({ userId: 'bob' })));
    await t.sessions.update(expired.map((session) => session.id!), { expireDate: new Date(Date.now() - 60_000) });
    expect(await t.sessions.countBy({ expireDate: LessThan(new Date()) })).toBe(5);

    await vi.waitFor(async () => expect(await t.sessions.count()).toBe(1), { timeout: 5000, interval: 100 });
    expect((await t.sessions.findOneByOrFail({ id: live.id! })).userId).toBe('alice');
  });
});
