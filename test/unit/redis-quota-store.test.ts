// The Redis quota store and cool-down bus when Redis goes away and comes back (a real redis-server, killed and
// restarted on the same port), and the cool-down bus between two replicas.
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { QuotaStoreUnavailable, type QuotaCharge } from '../../src/stores/quota-store.ts';
import { RedisQuotaStore } from '../../src/stores/redis/quota-store.ts';
import { RedisCoolDownBus } from '../../src/stores/redis/cool-down-bus.ts';
import { REDIS_SKIP_MESSAGE, startRedisServer } from '../helpers/redis-server.ts';
import { eventually } from '../helpers/eventually.ts';

const redis = await startRedisServer();
after(() => redis?.close());
const skip = redis === undefined ? REDIS_SKIP_MESSAGE : false;
const url = redis?.url ?? '';

const rpm = (amount: number): QuotaCharge => ({ key: 'rpm:key:k1', window: { kind: 'sliding', ms: 60_000 }, amount, limit: 1_000 });

describe('RedisQuotaStore without Redis', { skip }, () => {
  let store: RedisQuotaStore;
  beforeEach(async () => {
    await redis!.restart();
    store = new RedisQuotaStore({ url, prefix: 'outage:', timeoutMs: 250 });
    assert.ok(await store.ready(5_000));
  });
  afterEach(async () => {
    redis!.resume();
    await store.close();
  });

  it('fails fast with QuotaStoreUnavailable when Redis is killed, and recovers by itself when it is back', async () => {
    assert.ok((await store.admit([rpm(1)], Date.now())).admitted);
    await redis!.stop();
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await assert.rejects(store.admit([rpm(1)], Date.now()), QuotaStoreUnavailable);
      assert.ok(performance.now() - started < 1_000, `refused at once, not after a wait (${performance.now() - started} ms)`);
    }
    await assert.rejects(store.peek([rpm(1)], Date.now()), QuotaStoreUnavailable);
    await assert.rejects(store.adjust([{ ...rpm(0), delta: -1, chargedAt: Date.now() }]), QuotaStoreUnavailable);
    assert.equal(store.healthy, false);

    await redis!.restart();
    // The same store, no new one: it reconnects, and loads its script again into the new (empty) Redis.
    const result = await eventually('admits again after the restart', async () => {
      const r = await store.admit([rpm(2)], Date.now());
      return r;
    });
    assert.ok(result.admitted);
    assert.equal(result.states[0]!.used, 2, 'a restarted Redis starts from zero');
    assert.equal(store.healthy, true);
  });

  it('times out against a Redis that does not answer, and is healthy again when it does', async () => {
    redis!.pause();
    const started = performance.now();
    await assert.rejects(store.admit([rpm(1)], Date.now()), QuotaStoreUnavailable);
    assert.ok(performance.now() - started < 1_000, 'gives up after its timeout');
    assert.equal(store.healthy, false, 'an unanswered command makes it unhealthy even though connected');
    redis!.resume();
    await eventually('admits again once Redis answers', async () => ((await store.admit([rpm(1)], Date.now())).admitted ? true : undefined));
    assert.equal(store.healthy, true);
  });

  it('waits out its timeout once for a Redis that does not answer; the commands after fail at once until one answers', async () => {
    redis!.pause();
    await assert.rejects(store.admit([rpm(1)], Date.now()), QuotaStoreUnavailable); // waits its 250 ms, then gives up
    const started = performance.now();
    for (let i = 0; i < 5; i++) await assert.rejects(store.admit([rpm(1)], Date.now()), /does not answer/);
    const took = performance.now() - started;
    assert.ok(took < 250, `five admissions took ${took.toFixed(0)} ms: each waited for the stalled Redis`);
    redis!.resume();
    // A probe goes through within two timeouts, finds Redis answering, and the store is healthy again.
    await eventually('admits again once Redis answers', async () => ((await store.admit([rpm(1)], Date.now())).admitted ? true : undefined));
    assert.equal(store.healthy, true);
  });

  it('is unhealthy from the start when Redis is not there, and connects once it is', async () => {
    await redis!.stop();
    const early = new RedisQuotaStore({ url, prefix: 'early:', timeoutMs: 250 });
    try {
      assert.equal(await early.ready(300), false);
      assert.equal(early.healthy, false);
      await assert.rejects(early.admit([rpm(1)], Date.now()), QuotaStoreUnavailable);
      await redis!.restart();
      assert.ok(await early.ready(5_000));
      assert.ok((await early.admit([rpm(1)], Date.now())).admitted);
    } finally {
      await early.close();
    }
  });
});

describe('RedisCoolDownBus', { skip }, () => {
  const buses: RedisCoolDownBus[] = [];
  let raw: Redis;
  const bus = (): RedisCoolDownBus => {
    const b = new RedisCoolDownBus({ url, prefix: 'bus:' });
    buses.push(b);
    return b;
  };
  const heard = (b: RedisCoolDownBus): Map<string, number> => {
    const seen = new Map<string, number>();
    b.subscribe((backendId, until) => seen.set(backendId, until));
    return seen;
  };
  const listening = (): Promise<true> =>
    eventually('the listener is subscribed', async () => {
      const reply = (await raw.call('PUBSUB', 'NUMSUB', 'bus:cooldown')) as [string, number];
      return reply[1] >= 1 ? true : undefined;
    });
  const connected = (b: RedisCoolDownBus): Promise<true> =>
    eventually('the publisher is connected', async () => {
      b.publish('probe', Date.now() + 60_000);
      return (await raw.hget('bus:cooldowns', 'probe')) === null ? undefined : true;
    });

  beforeEach(async () => {
    await redis!.restart();
    raw = new Redis(url);
    raw.on('error', () => {});
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    raw.disconnect();
  });

  it('delivers a cool-down published by one replica to another, and to itself', async () => {
    const a = bus();
    const b = bus();
    const seenByA = heard(a);
    const seenByB = heard(b);
    await listening();
    await connected(a);
    const until = Date.now() + 30_000;
    a.publish('openai-1', until);
    await eventually('b hears it', async () => (seenByB.get('openai-1') === until ? true : undefined));
    await eventually('a hears it too', async () => (seenByA.get('openai-1') === until ? true : undefined));
  });

  it('tells a replica that subscribes late of the cool-downs current now, not of those over', async () => {
    const a = bus();
    await connected(a);
    const until = Date.now() + 30_000;
    a.publish('anthropic-1', until);
    a.publish('brief', Date.now() + 50);
    a.publish('earlier', Date.now() - 1);
    // A shorter cool-down published later does not cut the longer one short.
    a.publish('anthropic-1', until - 20_000);
    await eventually('stored', async () => ((await raw.hget('bus:cooldowns', 'anthropic-1')) === String(until) ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = bus();
    const seen = heard(late);
    await eventually('the late replica hears of it', async () => (seen.get('anthropic-1') === until ? true : undefined));
    assert.equal(seen.has('brief'), false, 'an expired cool-down is not reported');
    assert.equal(seen.has('earlier'), false, 'a cool-down already over is not published');
    // The shared record keeps only the cool-downs still running: the next publication drops the one over.
    a.publish('anthropic-2', Date.now() + 30_000);
    await eventually('the one over is dropped', async () => ((await raw.hexists('bus:cooldowns', 'brief')) === 0 ? true : undefined));
    assert.equal(await raw.hexists('bus:cooldowns', 'anthropic-1'), 1);
  });

  it('drops publications while Redis is down, and listens again when it is back', async () => {
    const a = bus();
    const b = bus();
    const seen = heard(b);
    await listening();
    await connected(a);
    await redis!.stop();
    a.publish('lost', Date.now() + 30_000); // must neither throw nor reject
    await redis!.restart();
    await connected(a);
    await listening();
    const until = Date.now() + 30_000;
    a.publish('after-restart', until);
    await eventually('heard after the restart', async () => (seen.get('after-restart') === until ? true : undefined));
    assert.equal(seen.has('lost'), false);
  });
});
