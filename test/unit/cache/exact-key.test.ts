// The exact cache key: the same for requests that can only get the same answer, different otherwise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exactCacheKey, FIELDS_NOT_IN_KEY, type ExactKeyScope } from '../../../src/cache/exact-key.ts';

const SCOPE: ExactKeyScope = { tenant: 'team-a', model: 'gpt-4o-mini', modelVersion: 'v1' };
const BODY = {
  model: 'gpt-4o-mini',
  temperature: 0,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }],
};

test('a body nested beyond reason is not keyed (rather than a stack overflow)', () => {
  let deep: unknown = 'x';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(exactCacheKey(SCOPE, { deep }), undefined);
});

describe('exactCacheKey', () => {
  const key = (body: Record<string, unknown>, scope: ExactKeyScope = SCOPE): string => exactCacheKey(scope, body)!;

  test('is stable across top-level key order, and holds the whole request (no digest to collide)', () => {
    const k = key(BODY);
    assert.ok(k.includes('"What is the capital of France?"'));
    const reordered = JSON.parse(JSON.stringify({ tools: BODY.tools, messages: BODY.messages, temperature: 0, model: BODY.model }));
    assert.equal(key(reordered), k);
  });

  test('ignores the fields that do not change the answer', () => {
    const k = key(BODY);
    assert.equal(
      key({ ...BODY, stream: true, stream_options: { include_usage: true }, user: 'u1', safety_identifier: 's', metadata: { a: '1' }, store: true, service_tier: 'flex', prompt_cache_key: 'p' }),
      k,
    );
    assert.ok(FIELDS_NOT_IN_KEY.has('stream'));
  });

  test('a client that reorders nested fields misses rather than getting another answer', () => {
    const nested = { ...BODY, messages: BODY.messages.map((m) => ({ content: m.content, role: m.role })) };
    assert.notEqual(key(nested), key(BODY));
  });

  test('changes with anything that changes the answer', () => {
    const k = key(BODY);
    const variants: Record<string, unknown>[] = [
      { ...BODY, temperature: 0.1 },
      { ...BODY, max_tokens: 10 },
      { ...BODY, seed: 1 },
      { ...BODY, response_format: { type: 'json_object' } },
      { ...BODY, messages: [...BODY.messages, { role: 'user', content: 'and Spain?' }] },
      { ...BODY, messages: BODY.messages.toReversed() },
      { ...BODY, tools: [] },
      { ...BODY, some_future_field: true },
      // A field named __proto__ (an own property, as JSON.parse makes it and a spread keeps it) is a field like any other.
      { ...BODY, ...JSON.parse('{"__proto__":{"a":1}}') },
    ];
    for (const variant of variants) assert.notEqual(key(variant), k, JSON.stringify(variant).slice(0, 80));
  });

  test('is scoped: tenant, model and model version', () => {
    const k = key(BODY);
    assert.notEqual(key(BODY, { ...SCOPE, tenant: 'team-b' }), k);
    assert.notEqual(key(BODY, { ...SCOPE, model: 'other' }), k);
    assert.notEqual(key(BODY, { ...SCOPE, modelVersion: 'v2' }), k);
    // The parts cannot run into each other.
    assert.notEqual(key(BODY, { tenant: 'a,b', model: 'c', modelVersion: 'v' }), key(BODY, { tenant: 'a', model: 'b,c', modelVersion: 'v' }));
  });
});
