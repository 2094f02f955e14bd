// The quota store conformance suite against the in-process store and against Redis (a real redis-server, each
// store under its own key prefix), plus what only the in-process store does: seeding and forgetting old counters.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QuotaStore, QuotaWindow } from '../../src/stores/quota-store.ts';
import { InProcessQuotaStore } from '../../src/stores/memory/quota-store.ts';
import { RedisQuotaStore } from '../../src/stores/redis/quota-store.ts';
import { REDIS_SKIP_MESSAGE, sharedStoreHarness, startRedisServer } from '../helpers/redis-server.ts';
import { quotaStoreConformance } from './quota-store.ts';

quotaStoreConformance('in-process', async () => {
  const store = new InProcessQuotaStore();
  return { store, close: () => store.close() };
});

const redis = await startRedisServer();
after(() => redis?.close());

if (redis === undefined) {
  describe('QuotaStore conformance: redis', { skip: REDIS_SKIP_MESSAGE }, () => {});
} else {
  const openRedisStore = async (prefix: string): Promise<RedisQuotaStore> => {
    // A generous timeout: these tests are about what is counted, not about a slow machine.
    const store = new RedisQuotaStore({ url: redis.url, prefix, timeoutMs: 2_000 });
    assert.ok(await store.ready(5_000), 'connects to redis-server');
    return store;
  };
  quotaStoreConformance('redis', sharedStoreHarness<QuotaStore>('conformance', openRedisStore));
}

describe('InProcessQuotaStore', () => {
  const MIN = 60_000;
  const T0 = 28_000_000 * MIN;
  const perMinute: QuotaWindow = { kind: 'sliding', ms: MIN };
  const month: QuotaWindow = { kind: 'fixed', start: T0, end: T0 + 30 * 1_440 * MIN };

  it('starts from seeded spend', async () => {
    const store = new InProcessQuotaStore({
      seed: [
        { key: 'budget:team:a', window: month, used: 700, at: T0 + 5 * MIN },
        { key: 'budget:team:a', window: month, used: 200.2, at: T0 + 6 * MIN },
        { key: 'budget:team:b', window: month, used: 50, at: T0 - 1 },
      ],
    });
    const charges = [
      { key: 'budget:team:a', window: month, amount: 99, limit: 1_000 },
      { key: 'budget:team:b', window: month, amount: 0, limit: 1_000 },
    ];
    assert.deepEqual(
      (await store.peek(charges, T0 + 10 * MIN)).map((s) => s.used),
      [901, 0],
      'spend rounded up; spend of an earlier period not counted',
    );
    assert.ok((await store.admit(charges, T0 + 10 * MIN)).admitted);
    assert.equal((await store.admit(charges, T0 + 10 * MIN)).admitted, false);
  });

  it('forgets counters that nothing counts any more', async () => {
    const store = new InProcessQuotaStore();
    const short: QuotaWindow = { kind: 'fixed', start: T0, end: T0 + 5 * MIN };
    for (let i = 0; i < 50; i++) {
      await store.admit([{ key: `rpm:${i}`, window: perMinute, amount: 1, limit: 10 }, { key: `day:${i}`, window: short, amount: 1, limit: 10 }], T0 + 1_000);
    }
    assert.equal(store.size, 100);
    // Still counted a bucket later, so still held.
    await store.admit([{ key: 'other', window: perMinute, amount: 1, limit: 10 }], T0 + 90_000);
    assert.equal(store.size, 101);
    // Ten minutes on, the minute buckets and the ended period count for nothing.
    await store.admit([{ key: 'other', window: perMinute, amount: 1, limit: 10 }], T0 + 10 * MIN);
    assert.equal(store.size, 1);
  });

  it('counts a charge whose clock lags the newest bucket in that bucket', async () => {
    const store = new InProcessQuotaStore();
    assert.ok((await store.admit([{ key: 'k', window: perMinute, amount: 4, limit: 10 }], T0 + MIN + 1_000)).admitted);
    const late = await store.admit([{ key: 'k', window: perMinute, amount: 6, limit: 10 }], T0 + 59_000);
    assert.deepEqual(late, { admitted: true, states: [{ used: 10, limit: 10, resetAt: T0 + 3 * MIN }] });
    assert.equal((await store.admit([{ key: 'k', window: perMinute, amount: 1, limit: 10 }], T0 + MIN + 2_000)).admitted, false);
  });
});
