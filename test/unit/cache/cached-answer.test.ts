// The stored entry: its byte size, and a body that owns its memory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedAnswer } from '../../../src/cache/cached-answer.ts';

const USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

describe('cachedAnswer', () => {
  test('keeps the fields and sizes the entry by its body', () => {
    const body = Buffer.allocUnsafeSlow(2000).fill(0x20);
    const answer = cachedAnswer({ body, usage: USAGE, costUsd: 0.0012, model: 'gpt-4o-mini', backend: 'openai-0', createdAt: 1, streamable: true });
    assert.equal(answer.body, body, 'a buffer that owns its memory is kept as it is');
    assert.equal(answer.costUsd, 0.0012);
    assert.deepEqual(answer.usage, USAGE);
    assert.ok(answer.byteSize > 2000 && answer.byteSize < 2500);
  });

  test('copies a body that is a slice of a larger buffer, so the cache pins only what it counts', () => {
    const pooled = Buffer.from('{"id":"x"}'); // small: a slice of Node's shared pool
    assert.notEqual(pooled.buffer.byteLength, pooled.byteLength);
    const answer = cachedAnswer({ body: pooled, usage: USAGE, costUsd: 0, model: 'm', backend: 'b', createdAt: 1, streamable: true });
    assert.equal(answer.body.toString(), '{"id":"x"}');
    assert.equal(answer.body.buffer.byteLength, answer.body.byteLength);
  });
});
