// The byte-bounded LRU with per-entry TTL, on a clock the test moves.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache, type Sized } from '../../../src/cache/lru-cache.ts';

class Blob implements Sized {
  readonly data: Buffer;
  constructor(size: number) {
    this.data = Buffer.alloc(size);
  }
  get byteSize(): number {
    return this.data.byteLength;
  }
}

function setup(maxBytes: number): { cache: LruCache<Blob>; clock: { now: number } } {
  const clock = { now: 1000 };
  return { cache: new LruCache<Blob>(maxBytes, () => clock.now), clock };
}

describe('LruCache', () => {
  test('get returns what set stored, and size and bytes count it', () => {
    const { cache } = setup(10_000);
    const blob = new Blob(100);
    assert.equal(cache.set('a', blob, 1000), true);
    assert.equal(cache.get('a'), blob);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.size, 1);
    assert.ok(cache.bytes >= 100 && cache.bytes < 300, `${cache.bytes}`);
  });

  test('an expired entry is a miss and is dropped', () => {
    const { cache, clock } = setup(10_000);
    cache.set('a', new Blob(10), 500);
    clock.now += 499;
    assert.ok(cache.get('a'));
    clock.now += 1;
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
  });

  test('evicts the least recently used to stay within its bytes', () => {
    const { cache } = setup(1000);
    const per = (() => {
      const probe = setup(1000).cache;
      probe.set('k0', new Blob(200), 1000);
      return probe.bytes;
    })();
    for (let i = 0; i < 3; i++) cache.set(`k${i}`, new Blob(200), 1000);
    assert.equal(cache.bytes, 3 * per);
    cache.get('k0'); // k1 is now the least recently used
    cache.set('k3', new Blob(200), 1000);
    assert.ok(cache.bytes <= 1000);
    assert.equal(cache.get('k1'), undefined);
    assert.ok(cache.get('k0'));
    assert.ok(cache.get('k3'));
  });

  test('a value larger than the whole cache is refused, and replaces nothing but its own key', () => {
    const { cache } = setup(1000);
    cache.set('small', new Blob(10), 1000);
    cache.set('big', new Blob(10), 1000);
    assert.equal(cache.set('big', new Blob(5000), 1000), false);
    assert.equal(cache.get('big'), undefined, 'the old value of the key is not served');
    assert.ok(cache.get('small'));
  });

  test('setting a key again replaces it and its bytes', () => {
    const { cache } = setup(10_000);
    cache.set('a', new Blob(100), 1000);
    const before = cache.bytes;
    const replacement = new Blob(300);
    cache.set('a', replacement, 1000);
    assert.equal(cache.size, 1);
    assert.equal(cache.bytes, before + 200);
    assert.equal(cache.get('a'), replacement);
  });

  test('a ttl that is not positive stores nothing', () => {
    const { cache } = setup(10_000);
    assert.equal(cache.set('a', new Blob(1), 0), false);
    assert.equal(cache.set('a', new Blob(1), Number.NaN), false);
    assert.equal(cache.size, 0);
  });

  test('delete, clear, and expiry', () => {
    const { cache, clock } = setup(10_000);
    cache.set('a', new Blob(1), 100);
    cache.set('b', new Blob(1), 1000);
    cache.set('c', new Blob(1), 100);
    assert.equal(cache.delete('b'), true);
    assert.equal(cache.delete('b'), false);
    cache.set('d', new Blob(1), 1000);
    clock.now += 200;
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('c'), undefined);
    assert.equal(cache.size, 1, 'the expired entries were dropped when met');
    assert.ok(cache.get('d'));
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
  });

  test('behaves as a plain reference LRU through any sequence of operations', () => {
    // The reference: an array in recency order, scanned on every call.
    const overhead = (() => {
      const probe = setup(10_000).cache;
      probe.set('k', new Blob(0), 1);
      return probe.bytes - 2; // the key's 2 bytes per UTF-16 unit
    })();
    const max = 5000;
    const reference: { key: string; value: Blob; expiresAt: number; bytes: number }[] = [];
    const { cache, clock } = setup(max);
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 5000; i++) {
      const key = `k${random(40)}`;
      const at = reference.findIndex((e) => e.key === key);
      const op = random(4);
      if (op === 0) {
        assert.equal(cache.delete(key), at >= 0);
        if (at >= 0) reference.splice(at, 1);
      } else if (op === 1) {
        const live = at >= 0 && reference[at]!.expiresAt > clock.now ? reference[at]! : undefined;
        assert.equal(cache.get(key), live?.value);
        if (at >= 0) reference.splice(at, 1);
        if (live) reference.push(live);
      } else {
        const value = new Blob(random(600));
        const ttl = 1 + random(3000);
        const bytes = value.byteSize + key.length * 2 + overhead;
        if (at >= 0) reference.splice(at, 1);
        assert.equal(cache.set(key, value, ttl), bytes <= max);
        if (bytes <= max) {
          while (reference.reduce((sum, e) => sum + e.bytes, 0) + bytes > max) reference.shift();
          reference.push({ key, value, expiresAt: clock.now + ttl, bytes });
        }
      }
      clock.now += random(20);
      assert.equal(cache.size, reference.length);
      assert.equal(cache.bytes, reference.reduce((sum, e) => sum + e.bytes, 0));
      assert.ok(cache.bytes <= max);
    }
  });
});
