// The exact cache key: the same for requests that can only get the same answer, different otherwise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, exactCacheKey, FIELDS_NOT_IN_KEY, type ExactKeyScope } from '../../../src/cache/exact-key.ts';

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

describe('canonicalJson', () => {
  test('sorts keys at every level, keeps array order, and parses back to the same value', () => {
    const value = { b: 1, a: { d: [3, { z: true, y: null }], c: 'x"\n' } };
    assert.equal(canonicalJson(value), '{"a":{"c":"x\\"\\n","d":[3,{"y":null,"z":true}]},"b":1}');
    assert.deepEqual(JSON.parse(canonicalJson(value)!), value);
  });

  test('skips undefined properties and writes non-finite numbers as null, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ a: undefined, b: [undefined, Number.NaN], c: -0 }), '{"b":[null,null],"c":0}');
  });

  test('equals a plain recursive sorted serialisation, and parses back, for any JSON value', () => {
    // The straightforward way (a join per level): what the one-pass writer must match. Not JSON.stringify of a
    // rebuilt object, since JS objects list integer-like keys first whatever the insertion order.
    const reference = (v: unknown): string =>
      Array.isArray(v)
        ? `[${v.map(reference).join(',')}]`
        : typeof v === 'object' && v !== null
          ? `{${Object.keys(v)
              .sort()
              .map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`)
              .join(',')}}`
          : JSON.stringify(v);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        // Through JSON first: what the gateway keys is always parsed JSON (no -0, no undefined).
        const parsed = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
        const canonical = canonicalJson(parsed)!;
        assert.equal(canonical, reference(parsed));
        assert.deepEqual(JSON.parse(canonical), parsed);
      }),
    );
  });

  test('omits the given top-level fields only', () => {
    assert.equal(canonicalJson({ stream: true, a: { stream: 1 } }, new Set(['stream'])), '{"a":{"stream":1}}');
  });

  test('a body nested beyond reason is not keyed (rather than a stack overflow)', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(canonicalJson({ deep }), undefined);
    assert.equal(exactCacheKey(SCOPE, { deep }), undefined);
  });
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
