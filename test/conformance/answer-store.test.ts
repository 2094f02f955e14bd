// The answer store conformance suite against the in-process store and against Redis (a real redis-server, each store
// under its own key prefix), plus what only Redis does: a Redis that is away is a miss, never an error.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AnswerStore } from '../../src/stores/answer-store.ts';
import { InProcessAnswerStore } from '../../src/stores/memory/answer-store.ts';
import { RedisAnswerStore } from '../../src/stores/redis/answer-store.ts';
import { cachedAnswer } from '../../src/cache/cached-answer.ts';
import { REDIS_SKIP_MESSAGE, sharedStoreHarness, startRedisServer } from '../helpers/redis-server.ts';
import { answerStoreConformance } from './answer-store.ts';

answerStoreConformance('in-process', async () => {
  const store = new InProcessAnswerStore(1024 * 1024);
  return { store, close: () => store.close() };
});

const redis = await startRedisServer();
after(() => redis?.close());

const openRedisStore = async (prefix: string): Promise<RedisAnswerStore> => {
  const store = new RedisAnswerStore({ url: redis!.url, prefix, timeoutMs: 2_000 });
  assert.ok(await store.ready(5_000), 'connects to redis-server');
  return store;
};

if (redis === undefined) {
  describe('AnswerStore conformance: redis', { skip: REDIS_SKIP_MESSAGE }, () => {});
} else {
  answerStoreConformance('redis', sharedStoreHarness<AnswerStore>('answers', openRedisStore));

  describe('RedisAnswerStore without Redis', () => {
    it('misses and drops quietly while Redis is away, and serves again once it is back', async () => {
      const store = await openRedisStore('away:');
      const body = Buffer.from('{"choices":[]}');
      const a = cachedAnswer({ body, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, costUsd: 0, model: 'm', backend: 'b', createdAt: 1, streamable: true });
      try {
        await redis.stop();
        await store.set('k', a, 60_000);
        assert.equal(await store.get('k'), undefined);
        await redis.restart();
        assert.ok(await store.ready(10_000), 'reconnects by itself');
        await store.set('k', a, 60_000);
        assert.ok((await store.get('k'))?.body.equals(body));
      } finally {
        await store.close();
      }
    });
  });
}
