import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { orderBackends, type Routable } from '../../src/reliability/routing-strategy.ts';
import type { RoutingStrategyName } from '../../src/config/schema.ts';

/** mulberry32: a small seeded PRNG, so proportions are checked deterministically. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface B extends Routable {
  readonly name: string;
}

function backend(name: string, opts: Partial<{ priority: number; weight: number; inFlight: number; capacity: number; up: boolean }> = {}): B {
  const up = opts.up ?? true;
  return { name, priority: opts.priority ?? 0, weight: opts.weight ?? 1, inFlight: opts.inFlight ?? 0, capacity: opts.capacity ?? 10, canAttempt: () => up };
}

const names = (list: readonly B[]): string[] => list.map((b) => b.name);

/** How often each backend comes first over `draws` orderings. */
function firstShares(strategy: RoutingStrategyName, backends: readonly B[], draws: number, seed: number): Map<string, number> {
  const random = seeded(seed);
  const counts = new Map<string, number>(backends.map((b) => [b.name, 0]));
  for (let i = 0; i < draws; i++) {
    const first = orderBackends(strategy, backends, random)[0]!;
    counts.set(first.name, counts.get(first.name)! + 1);
  }
  return new Map([...counts].map(([k, v]) => [k, v / draws]));
}

function assertNear(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual.toFixed(3)} not within ${tolerance} of ${expected}`);
}

describe('orderBackends: priority', () => {
  it('orders priority groups ascending', () => {
    const list = [backend('p2', { priority: 2 }), backend('p0', { priority: 0 }), backend('p1', { priority: 1 })];
    for (let seed = 1; seed <= 20; seed++) assert.deepEqual(names(orderBackends('priority', list, seeded(seed))), ['p0', 'p1', 'p2']);
  });

  it('keeps each group together, whatever the weights', () => {
    const list = [
      backend('b1', { priority: 1, weight: 100 }),
      backend('a1', { priority: 0, weight: 1 }),
      backend('b2', { priority: 1, weight: 100 }),
      backend('a2', { priority: 0, weight: 1 }),
    ];
    for (let seed = 1; seed <= 50; seed++) {
      const order = names(orderBackends('priority', list, seeded(seed)));
      assert.deepEqual(order.slice(0, 2).sort(), ['a1', 'a2']);
      assert.deepEqual(order.slice(2).sort(), ['b1', 'b2']);
    }
  });

  it('orders by weight within a group, in proportion', () => {
    const list = [backend('heavy', { weight: 3 }), backend('light', { weight: 1 }), backend('later', { priority: 1, weight: 50 })];
    const shares = firstShares('priority', list, 20_000, 42);
    assertNear(shares.get('heavy')!, 0.75, 0.02, 'heavy first');
    assertNear(shares.get('light')!, 0.25, 0.02, 'light first');
    assert.equal(shares.get('later'), 0);
  });

  it('puts weight 0 last in its group, but before the next group', () => {
    const list = [backend('zero', { weight: 0 }), backend('one', { weight: 1 }), backend('next', { priority: 1 })];
    for (let seed = 1; seed <= 30; seed++) assert.deepEqual(names(orderBackends('priority', list, seeded(seed))), ['one', 'zero', 'next']);
    // Even a draw of exactly 0 keeps a weighted backend ahead of weight 0.
    assert.deepEqual(names(orderBackends('priority', list, () => 0)), ['one', 'zero', 'next']);
  });
});

describe('orderBackends: weighted', () => {
  it('puts each backend first in proportion to its weight', () => {
    const list = [backend('a', { weight: 1 }), backend('b', { weight: 2 }), backend('c', { weight: 7 })];
    const shares = firstShares('weighted', list, 20_000, 7);
    assertNear(shares.get('a')!, 0.1, 0.015, 'a first');
    assertNear(shares.get('b')!, 0.2, 0.015, 'b first');
    assertNear(shares.get('c')!, 0.7, 0.015, 'c first');
  });

  it('ignores priority', () => {
    const list = [backend('a', { priority: 0, weight: 1 }), backend('b', { priority: 5, weight: 1 })];
    const shares = firstShares('weighted', list, 10_000, 3);
    assertNear(shares.get('b')!, 0.5, 0.02, 'b first despite its priority');
  });

  it('puts weight 0 last and uses it only when nothing else is left', () => {
    const list = [backend('zero', { weight: 0 }), backend('x', { weight: 1 }), backend('y', { weight: 5 })];
    const random = seeded(11);
    for (let i = 0; i < 200; i++) assert.equal(names(orderBackends('weighted', list, random))[2], 'zero');
    const alone = [backend('zero', { weight: 0 }), backend('x', { weight: 1, up: false })];
    assert.deepEqual(names(orderBackends('weighted', alone, random)), ['zero']);
  });

  it('returns every available backend exactly once', () => {
    const list = ['a', 'b', 'c', 'd', 'e'].map((n, i) => backend(n, { weight: i }));
    const random = seeded(5);
    for (let i = 0; i < 100; i++) assert.deepEqual(names(orderBackends('weighted', list, random)).sort(), ['a', 'b', 'c', 'd', 'e']);
  });
});

describe('orderBackends: least-busy', () => {
  it('orders by inFlight / capacity, not by raw inFlight', () => {
    const list = [
      backend('half', { inFlight: 5, capacity: 10 }),
      backend('tenth', { inFlight: 1, capacity: 10 }),
      backend('big', { inFlight: 30, capacity: 100 }),
      backend('idle', { inFlight: 0, capacity: 1 }),
    ];
    for (let seed = 1; seed <= 20; seed++) assert.deepEqual(names(orderBackends('least-busy', list, seeded(seed))), ['idle', 'tenth', 'big', 'half']);
  });

  it('breaks ties at random, so equal backends share the load', () => {
    const list = [backend('a', { inFlight: 2, capacity: 4 }), backend('b', { inFlight: 5, capacity: 10 }), backend('busy', { inFlight: 9, capacity: 10 })];
    const shares = firstShares('least-busy', list, 10_000, 99);
    assertNear(shares.get('a')!, 0.5, 0.03, 'a first');
    assert.equal(shares.get('busy'), 0);
  });
});

describe('orderBackends: availability', () => {
  const strategies: RoutingStrategyName[] = ['priority', 'weighted', 'least-busy'];

  it('skips backends that cannot take a request now', () => {
    const list = [backend('down', { weight: 100, up: false }), backend('up1', { priority: 1 }), backend('up2', { priority: 2, inFlight: 9 })];
    for (const strategy of strategies) {
      for (let seed = 1; seed <= 10; seed++) {
        const order = names(orderBackends(strategy, list, seeded(seed)));
        assert.ok(!order.includes('down'), `${strategy}: ${order.join(',')}`);
        assert.deepEqual([...order].sort(), ['up1', 'up2']);
      }
    }
  });

  it('returns an empty list when nothing is available, and leaves the input alone', () => {
    const list = [backend('a', { up: false }), backend('b', { up: false })];
    for (const strategy of strategies) assert.deepEqual(orderBackends(strategy, list, seeded(1)), []);
    const input = [backend('x', { weight: 1 }), backend('y', { weight: 9 })];
    const before = names(input);
    for (const strategy of strategies) orderBackends(strategy, input, seeded(2));
    assert.deepEqual(names(input), before);
  });
});
