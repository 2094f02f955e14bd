// The one canonical JSON of the project (audit hashes, the semantic cache's scope): the same string for the same
// value whatever order it was built in, and the value back when parsed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson } from '../../src/canonical-json.ts';

test('sorts keys at every level, keeps array order, skips undefined and writes non-finite numbers as null', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x"\n' } }), '{"a":{"c":"x\\"\\n","d":[3,{"y":null,"z":true}]},"b":1}');
  assert.equal(canonicalJson({ a: undefined, b: [undefined, Number.NaN], c: -0 }), '{"b":[null,null],"c":0}');
});

test('for any JSON value: parses back to it, and does not depend on the order its keys were added in', () => {
  const reversed = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(reversed)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]))
        : v;
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const parsed: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
      const text = canonicalJson(parsed);
      assert.deepEqual(JSON.parse(text), parsed);
      assert.equal(canonicalJson(reversed(parsed)), text);
    }),
  );
});
