// The semantic index: nearest entry above a threshold within a scope, LRU over all scopes, TTL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SemanticIndex } from '../../../src/cache/semantic-index.ts';

const vec = (...values: number[]): Float32Array => Float32Array.from(values);

function setup(maxEntries = 100): { index: SemanticIndex<string>; clock: { now: number } } {
  const clock = { now: 0 };
  return { index: new SemanticIndex<string>(maxEntries, () => clock.now), clock };
}

/** A random unit vector from a seeded generator. */
function randomVector(dimensions: number, seed: number): Float32Array {
  const v = new Float32Array(dimensions);
  let s = seed;
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    v[i] = (s >>> 0) / 2 ** 32 - 0.5;
    norm += v[i]! * v[i]!;
  }
  for (let i = 0; i < dimensions; i++) v[i]! /= Math.sqrt(norm);
  return v;
}

describe('SemanticIndex', () => {
  test('returns the most similar entry at or above the threshold, with its cosine', () => {
    const { index } = setup();
    index.insert('s', vec(1, 0, 0), 'x', 1000);
    index.insert('s', vec(0, 1, 0), 'y', 1000);
    index.insert('s', vec(0.6, 0.8, 0), 'xy', 1000);
    const match = index.lookup('s', vec(0.8, 0.6, 0), 0.5);
    assert.equal(match?.value, 'xy');
    assert.ok(Math.abs(match!.similarity - 0.96) < 1e-6);
    assert.equal(index.lookup('s', vec(0, 0, 1), 0.5), undefined);
    assert.equal(index.lookup('s', vec(0.8, 0.6, 0), 0.97), undefined);
  });

  test('normalises what it is given: vector length does not matter', () => {
    const { index } = setup();
    index.insert('s', vec(10, 0), 'x', 1000);
    const match = index.lookup('s', vec(3, 3), 0.7);
    assert.equal(match?.value, 'x');
    assert.ok(Math.abs(match!.similarity - Math.SQRT1_2) < 1e-6);
    assert.equal(index.insert('s', vec(0, 0), 'zero', 1000), false);
    assert.equal(index.lookup('s', vec(0, 0), 0.1), undefined);
  });

  test('scopes are separate, and a vector of another size is a miss', () => {
    const { index } = setup();
    index.insert('a', vec(1, 0), 'in a', 1000);
    assert.equal(index.lookup('b', vec(1, 0), 0.5), undefined);
    assert.equal(index.lookup('a', vec(1, 0, 0), 0.5), undefined);
    // A new embeddings model for the scope: the old vectors go.
    index.insert('a', vec(1, 0, 0), 'new model', 1000);
    assert.equal(index.size, 1);
    assert.equal(index.lookup('a', vec(1, 0, 0), 0.9)?.value, 'new model');
  });

  test('inserting the same question again replaces its answer', () => {
    const { index } = setup();
    index.insert('s', vec(1, 2, 3), 'old', 1000);
    index.insert('s', vec(2, 4, 6), 'new', 1000);
    assert.equal(index.size, 1);
    assert.equal(index.lookup('s', vec(1, 2, 3), 0.99)?.value, 'new');
  });

  test('expired entries are never returned, and are dropped when met', () => {
    const { index, clock } = setup();
    index.insert('s', vec(1, 0), 'short', 100);
    index.insert('s', vec(0.9, 0.1), 'long', 1000);
    assert.equal(index.lookup('s', vec(1, 0), 0.5)?.value, 'short');
    clock.now = 100;
    assert.equal(index.lookup('s', vec(1, 0), 0.5)?.value, 'long');
    assert.equal(index.size, 1);
    clock.now = 1000;
    assert.equal(index.lookup('s', vec(1, 0), 0.5), undefined);
    assert.equal(index.size, 0);
    assert.equal(index.scopes, 0, 'an emptied scope is dropped');
  });

  test('max entries over all scopes, least recently used first', () => {
    const { index } = setup(3);
    index.insert('a', vec(1, 0), 'a1', 1000);
    index.insert('b', vec(1, 0), 'b1', 1000);
    index.insert('a', vec(0, 1), 'a2', 1000);
    assert.equal(index.lookup('a', vec(1, 0), 0.9)?.value, 'a1'); // b1 is now the least recently used
    index.insert('c', vec(1, 0), 'c1', 1000);
    assert.equal(index.size, 3);
    assert.equal(index.lookup('b', vec(1, 0), 0.9), undefined);
    assert.equal(index.scopes, 2);
    index.insert('c', vec(0, 1), 'c2', 1000); // evicts a2, moving no row
    index.insert('c', vec(1, 1), 'c3', 1000); // evicts a1: scope a is emptied and dropped
    assert.equal(index.lookup('a', vec(1, 0), 0.1), undefined);
    assert.deepEqual(
      [vec(1, 0), vec(0, 1), vec(1, 1)].map((v) => index.lookup('c', v, 0.99)?.value),
      ['c1', 'c2', 'c3'],
    );
  });

  test('removals keep every row with its entry (swap with the last row)', () => {
    const { index, clock } = setup(1000);
    const vectors = Array.from({ length: 50 }, (_, i) => randomVector(64, i + 1));
    // Odd entries expire first; the scan drops them, moving the last rows into their places.
    vectors.forEach((v, i) => index.insert('s', v, `v${i}`, i % 2 === 0 ? 1000 : 10));
    clock.now = 10;
    for (const [i, v] of vectors.entries()) {
      const match = index.lookup('s', v, 0.999);
      assert.equal(match?.value, i % 2 === 0 ? `v${i}` : undefined, `v${i}`);
    }
    assert.equal(index.size, 25, 'the expired half was dropped as the lookups met it');
  });

  test('an expired entry is dropped with its scope when a lookup meets it; clear empties the index', () => {
    const { index, clock } = setup();
    index.insert('a', vec(1, 0), 'x', 10);
    index.insert('b', vec(1, 0), 'y', 100);
    clock.now = 50;
    assert.equal(index.lookup('a', vec(1, 0), 0.9), undefined);
    assert.equal(index.scopes, 1);
    index.clear();
    assert.equal(index.size, 0);
    assert.equal(index.lookup('b', vec(1, 0), 0.5), undefined);
  });

  test('among a thousand 1536-dimension entries, the one asked for is found', () => {
    const { index } = setup(2000);
    for (let i = 0; i < 1000; i++) index.insert('s', randomVector(1536, i + 1), `v${i}`, 60_000);
    assert.equal(index.lookup('s', randomVector(1536, 500), 0.95)?.value, 'v499');
  });
});
