// The contract of an AnswerStore (the exact cache's storage), run against every implementation:
//   answerStoreConformance('redis', () => openRedisHarness());
// `open` must return a new, empty store each time; the suite closes every store it opens.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { AnswerStore } from '../../src/stores/answer-store.ts';
import { cachedAnswer, type CachedAnswer } from '../../src/cache/cached-answer.ts';

export interface AnswerStoreHarness {
  readonly store: AnswerStore;
  /** A second store sharing the first one's state (another replica), when the implementation has one. */
  openAnother?(): Promise<AnswerStore>;
  close(): Promise<void>;
}

function answer(text: string, costUsd = 0.0125): CachedAnswer {
  const body = Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] }));
  return cachedAnswer({ body, usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, cached_tokens: 3 }, costUsd, model: 'gpt-4o-mini', backend: 'primary', createdAt: 1_763_000_000_000, streamable: true });
}

const sameAnswer = (got: CachedAnswer | undefined, want: CachedAnswer): void => {
  assert.ok(got !== undefined, 'found');
  assert.ok(got.body.equals(want.body), 'the body byte for byte');
  assert.deepEqual({ ...got, body: undefined }, { ...want, body: undefined });
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function answerStoreConformance(name: string, open: () => Promise<AnswerStoreHarness>): void {
  describe(`AnswerStore conformance: ${name}`, () => {
    let harness: AnswerStoreHarness;
    let store: AnswerStore;
    beforeEach(async () => {
      harness = await open();
      store = harness.store;
    });
    afterEach(() => harness.close());

    it('misses what it was never given', async () => {
      assert.equal(await store.get('{"model":"m"}'), undefined);
    });

    it('gives back an answer exactly: body bytes, usage, cost, model, backend, time', async () => {
      const a = answer('Paris — la capitale, 🗼 "quoted"\n');
      await store.set('k1', a, 60_000);
      sameAnswer(await store.get('k1'), a);
    });

    it('keys are exact: another key misses, the same key replaced holds the new answer', async () => {
      await store.set('k1', answer('one'), 60_000);
      assert.equal(await store.get('k1 '), undefined);
      assert.equal(await store.get('K1'), undefined);
      const replacement = answer('two', 0.5);
      await store.set('k1', replacement, 60_000);
      sameAnswer(await store.get('k1'), replacement);
    });

    it('takes a long key (a whole request)', async () => {
      const key = JSON.stringify({ messages: Array.from({ length: 200 }, (_, i) => ({ role: 'user', content: `message ${i} `.repeat(10) })) });
      const a = answer('long');
      await store.set(key, a, 60_000);
      sameAnswer(await store.get(key), a);
      assert.equal(await store.get(key.slice(0, -1)), undefined);
    });

    it('forgets an answer once its time to live has passed', async () => {
      await store.set('short', answer('brief'), 50);
      await sleep(150);
      assert.equal(await store.get('short'), undefined);
    });

    it('another replica answers what one stored, when the store is shared', async (t) => {
      if (harness.openAnother === undefined) return t.skip('not a shared store');
      const other = await harness.openAnother();
      const a = answer('shared');
      await store.set('shared-key', a, 60_000);
      sameAnswer(await other.get('shared-key'), a);
    });
  });
}
