import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../src/reliability/circuit-breaker.ts';
import type { CircuitBreakerPolicy } from '../../src/config/schema.ts';

const T0 = 1_000_000; // a multiple of every bucket size used here

function setup(overrides: Partial<CircuitBreakerPolicy> = {}): { breaker: CircuitBreaker; advance: (ms: number) => void; now: () => number } {
  const policy: CircuitBreakerPolicy = {
    consecutive_failures: 3,
    failure_rate: 0.5,
    min_requests: 10,
    window_ms: 10_000,
    open_ms: 5_000,
    half_open_probes: 1,
    ...overrides,
  };
  let t = T0;
  const now = (): number => t;
  return { breaker: new CircuitBreaker(policy, now), advance: (ms) => (t += ms), now };
}

function fail(breaker: CircuitBreaker, n: number): void {
  for (let i = 0; i < n; i++) breaker.onFailure();
}
function succeed(breaker: CircuitBreaker, n: number): void {
  for (let i = 0; i < n; i++) breaker.onSuccess();
}

describe('CircuitBreaker: opening', () => {
  it('opens after consecutive_failures failures in a row, and a success resets the run', () => {
    const { breaker } = setup();
    fail(breaker, 2);
    succeed(breaker, 1);
    fail(breaker, 2);
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.snapshot().consecutiveFailures, 2);
    assert.equal(breaker.tryAcquire(), true);
    fail(breaker, 1);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.canAttempt(), false);
    assert.equal(breaker.tryAcquire(), false);
  });

  it('opens on the failure rate only once min_requests calls are in the window', () => {
    const { breaker } = setup({ consecutive_failures: 100, min_requests: 10, failure_rate: 0.5 });
    fail(breaker, 9); // 100% failures, but only 9 calls
    assert.equal(breaker.state, 'closed');
    fail(breaker, 1);
    assert.equal(breaker.state, 'open');
  });

  it('opens when the rate reaches failure_rate, not below it', () => {
    const { breaker } = setup({ consecutive_failures: 100, min_requests: 10, failure_rate: 0.5 });
    succeed(breaker, 6);
    fail(breaker, 4); // 10 calls, 40%
    assert.equal(breaker.state, 'closed');
    fail(breaker, 1); // 11 calls, 5/11 = 45%
    assert.equal(breaker.state, 'closed');
    fail(breaker, 1); // 12 calls, 50%
    assert.equal(breaker.state, 'open');
  });

  it('rolls old buckets out of the window', () => {
    const { breaker, advance } = setup({ consecutive_failures: 100, min_requests: 10, window_ms: 10_000 });
    succeed(breaker, 2);
    fail(breaker, 5);
    advance(5_000);
    succeed(breaker, 1);
    assert.deepEqual([breaker.snapshot().windowRequests, breaker.snapshot().windowFailures], [8, 5]);
    advance(4_000); // the first calls are 9 s old: still inside
    assert.equal(breaker.snapshot().windowRequests, 8);
    advance(1_000); // 10 s old: out
    assert.deepEqual([breaker.snapshot().windowRequests, breaker.snapshot().windowFailures], [1, 0]);
    // 5 failures more would have tripped the rate (10 calls, 100% of the old ones) had the old ones stayed.
    fail(breaker, 5);
    assert.deepEqual([breaker.snapshot().windowRequests, breaker.snapshot().windowFailures], [6, 5]);
    assert.equal(breaker.state, 'closed');
    advance(20_000);
    assert.deepEqual([breaker.snapshot().windowRequests, breaker.snapshot().windowFailures], [0, 0]);
  });

  it('late failures of requests started before it opened do not extend the open period', () => {
    const { breaker, advance } = setup();
    fail(breaker, 3);
    advance(3_000);
    fail(breaker, 2);
    assert.equal(breaker.retryInMs(), 2_000);
    advance(2_000);
    assert.equal(breaker.state, 'half-open');
  });
});

describe('CircuitBreaker: half-open', () => {
  it('turns half-open after open_ms', () => {
    const { breaker, advance } = setup({ open_ms: 5_000 });
    fail(breaker, 3);
    advance(4_999);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.canAttempt(), false);
    advance(1);
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.canAttempt(), true);
  });

  it('lets exactly half_open_probes requests through', () => {
    const { breaker, advance } = setup({ half_open_probes: 2 });
    fail(breaker, 3);
    advance(5_000);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.canAttempt(), true);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.canAttempt(), false);
    assert.equal(breaker.tryAcquire(), false);
    assert.equal(breaker.state, 'half-open');
  });

  it('closes on a probe success and starts a clean window', () => {
    const { breaker, advance } = setup();
    fail(breaker, 3);
    advance(5_000);
    assert.equal(breaker.tryAcquire(), true);
    breaker.onSuccess();
    assert.equal(breaker.state, 'closed');
    const snap = breaker.snapshot();
    assert.deepEqual([snap.consecutiveFailures, snap.windowRequests, snap.windowFailures], [0, 0, 0]);
    assert.equal(breaker.canAttempt(), true);
    // A fresh run of failures is needed to open it again.
    fail(breaker, 2);
    assert.equal(breaker.state, 'closed');
  });

  it('re-opens on a probe failure, for another open_ms', () => {
    const { breaker, advance } = setup({ open_ms: 5_000 });
    fail(breaker, 3);
    advance(5_000);
    assert.equal(breaker.tryAcquire(), true);
    advance(1_000);
    breaker.onFailure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.retryInMs(), 5_000);
    advance(5_000);
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.tryAcquire(), true);
  });

  it('a probe still out when the circuit re-opens does not take a probe slot of the next half-open phase', () => {
    const { breaker, advance } = setup({ half_open_probes: 2 });
    for (let round = 0; round < 3; round++) {
      fail(breaker, 3);
      advance(5_000);
      assert.equal(breaker.tryAcquire(), true, `round ${round}: first probe`);
      assert.equal(breaker.tryAcquire(), true, `round ${round}: second probe`);
      breaker.onFailure(); // the first probe fails: open again
      assert.equal(breaker.state, 'open');
      breaker.onFailure(); // the second one ends while open
      advance(5_000);
      assert.equal(breaker.state, 'half-open');
      assert.equal(breaker.tryAcquire(), true, `round ${round}: next phase, first probe`);
      assert.equal(breaker.tryAcquire(), true, `round ${round}: next phase, second probe`);
      breaker.onFailure();
      breaker.onFailure();
    }
  });

  it('release frees a probe slot without closing or opening', () => {
    const { breaker, advance } = setup();
    fail(breaker, 3);
    advance(5_000);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.canAttempt(), false);
    breaker.release();
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.canAttempt(), true);
    assert.equal(breaker.tryAcquire(), true);
  });

  it('release in the closed state changes nothing', () => {
    const { breaker } = setup();
    fail(breaker, 2);
    breaker.release();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.snapshot().consecutiveFailures, 2);
    assert.equal(breaker.snapshot().windowRequests, 2);
  });
});

describe('CircuitBreaker: cooling down', () => {
  it('refuses until the given time without counting a failure', () => {
    const { breaker, advance, now } = setup();
    breaker.coolDown(now() + 2_000);
    assert.equal(breaker.canAttempt(), false);
    assert.equal(breaker.tryAcquire(), false);
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.retryInMs(), 2_000);
    const snap = breaker.snapshot();
    assert.deepEqual(snap, { state: 'closed', consecutiveFailures: 0, windowRequests: 0, windowFailures: 0, refusingUntil: T0 + 2_000, coolingDown: true });
    advance(1_999);
    assert.equal(breaker.canAttempt(), false);
    advance(1);
    assert.equal(breaker.canAttempt(), true);
    assert.equal(breaker.retryInMs(), 0);
    assert.equal(breaker.snapshot().coolingDown, false);
    assert.equal(breaker.snapshot().refusingUntil, 0);
  });

  it('an earlier cool-down does not shorten a later one', () => {
    const { breaker, advance, now } = setup();
    breaker.coolDown(now() + 3_000);
    breaker.coolDown(now() + 1_000);
    advance(2_000);
    assert.equal(breaker.canAttempt(), false);
    assert.equal(breaker.retryInMs(), 1_000);
  });

  it('takes no probe slot back: a cool-down told by another replica arrives while a probe of ours is in flight', () => {
    const { breaker, advance, now } = setup({ half_open_probes: 1 });
    fail(breaker, 3);
    advance(5_000);
    assert.equal(breaker.tryAcquire(), true);
    breaker.coolDown(now() + 1_000);
    assert.equal(breaker.state, 'half-open');
    advance(1_000);
    assert.equal(breaker.tryAcquire(), false, 'the probe still holds the only slot');
    breaker.release(); // the probe that saw the 429 ends itself
    assert.equal(breaker.tryAcquire(), true);
  });
});

describe('CircuitBreaker: retryInMs and snapshot', () => {
  it('retryInMs counts down the open period, and is 0 when closed or half-open', () => {
    const { breaker, advance } = setup({ open_ms: 5_000 });
    assert.equal(breaker.retryInMs(), 0);
    fail(breaker, 3);
    assert.equal(breaker.retryInMs(), 5_000);
    advance(1_500);
    assert.equal(breaker.retryInMs(), 3_500);
    advance(3_500);
    assert.equal(breaker.retryInMs(), 0);
  });

  it('retryInMs is the later of the open period and a cool-down', () => {
    const { breaker, now } = setup({ open_ms: 5_000 });
    fail(breaker, 3);
    breaker.coolDown(now() + 8_000);
    assert.equal(breaker.retryInMs(), 8_000);
  });

  it('snapshot reports an open circuit and when it stops refusing', () => {
    const { breaker, advance } = setup();
    succeed(breaker, 1);
    fail(breaker, 3);
    assert.deepEqual(breaker.snapshot(), {
      state: 'open',
      consecutiveFailures: 3,
      windowRequests: 4,
      windowFailures: 3,
      refusingUntil: T0 + 5_000,
      coolingDown: false,
    });
    advance(5_000);
    const half = breaker.snapshot();
    assert.equal(half.state, 'half-open');
    // No longer refusing: the open period is over.
    assert.equal(half.refusingUntil, 0);
  });
});
