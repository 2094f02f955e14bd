import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { Bulkhead, BulkheadFullError } from '../../src/reliability/bulkhead.ts';

function fakeTimers(t: TestContext): { tick: (ms: number) => void } {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  return { tick: (ms) => t.mock.timers.tick(ms) };
}

/** Resolves after pending promise callbacks have run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function track(p: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error: unknown } {
  const out: { state: 'pending' | 'resolved' | 'rejected'; error: unknown } = { state: 'pending', error: undefined };
  p.then(
    () => (out.state = 'resolved'),
    (err: unknown) => {
      out.state = 'rejected';
      out.error = err;
    },
  );
  return out;
}

describe('Bulkhead', () => {
  it('admits up to maxConcurrent at once and no more', () => {
    const b = new Bulkhead({ maxConcurrent: 2, maxQueue: 5, queueTimeoutMs: 1000 });
    assert.equal(b.tryEnter(), true);
    assert.equal(b.tryEnter(), true);
    assert.equal(b.tryEnter(), false);
    assert.equal(b.inFlight, 2);
    b.leave();
    assert.equal(b.inFlight, 1);
    assert.equal(b.tryEnter(), true);
    assert.equal(b.inFlight, 2);
  });

  it('enter resolves at once while a slot is free', async () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 0, queueTimeoutMs: 1000 });
    await b.enter();
    assert.equal(b.inFlight, 1);
    assert.equal(b.queued, 0);
  });

  it('hands slots to waiters in FIFO order without changing inFlight', async (t) => {
    fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 3, queueTimeoutMs: 1000 });
    assert.equal(b.tryEnter(), true);
    const order: string[] = [];
    const waits = ['a', 'b', 'c'].map((name) => b.enter().then(() => order.push(name)));
    assert.equal(b.queued, 3);
    // A newcomer may not jump the queue, even via tryEnter.
    assert.equal(b.tryEnter(), false);

    b.leave();
    await settle();
    assert.deepEqual(order, ['a']);
    assert.equal(b.inFlight, 1);
    assert.equal(b.queued, 2);

    b.leave();
    b.leave();
    await Promise.all(waits);
    assert.deepEqual(order, ['a', 'b', 'c']);
    assert.equal(b.inFlight, 1);
    assert.equal(b.queued, 0);
    b.leave();
    assert.equal(b.inFlight, 0);
  });

  it('keeps FIFO order and counts across many hand-offs (queue compaction)', async (t) => {
    fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 500, queueTimeoutMs: 1000 });
    b.tryEnter();
    const order: number[] = [];
    const waits = Array.from({ length: 300 }, (_, i) => b.enter().then(() => order.push(i)));
    for (let i = 0; i < 300; i++) {
      b.leave();
      assert.equal(b.queued, 299 - i);
      assert.equal(b.inFlight, 1);
    }
    await Promise.all(waits);
    assert.deepEqual(order, Array.from({ length: 300 }, (_, i) => i));
    b.leave();
    assert.equal(b.inFlight, 0);
  });

  it('refuses with queue_full when the queue is full', async (t) => {
    fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 1000 });
    b.tryEnter();
    const waiting = track(b.enter());
    await assert.rejects(b.enter(), (err: unknown) => err instanceof BulkheadFullError && err.reason === 'queue_full');
    assert.equal(b.queued, 1);
    assert.equal(waiting.state, 'pending');
  });

  it('refuses at once with a zero-length queue', async () => {
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 0, queueTimeoutMs: 1000 });
    b.tryEnter();
    await assert.rejects(b.enter(), (err: unknown) => err instanceof BulkheadFullError && err.reason === 'queue_full');
    assert.equal(b.queued, 0);
  });

  it('rejects with queue_timeout after queueTimeoutMs and forgets the waiter', async (t) => {
    const clock = fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 2, queueTimeoutMs: 500 });
    b.tryEnter();
    const waiting = track(b.enter());
    clock.tick(499);
    await settle();
    assert.equal(waiting.state, 'pending');
    clock.tick(1);
    await settle();
    assert.equal(waiting.state, 'rejected');
    assert.ok(waiting.error instanceof BulkheadFullError);
    assert.equal(waiting.error.reason, 'queue_timeout');
    assert.equal(b.queued, 0);
    // The slot is not handed to the timed-out waiter: it is freed.
    b.leave();
    assert.equal(b.inFlight, 0);
    assert.equal(b.tryEnter(), true);
  });

  it('a waiter that got a slot is not timed out later', async (t) => {
    const clock = fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 500 });
    b.tryEnter();
    const waiting = track(b.enter());
    clock.tick(200);
    b.leave();
    clock.tick(1000);
    await settle();
    assert.equal(waiting.state, 'resolved');
    assert.equal(b.inFlight, 1);
  });

  it('rejects with the abort reason when the signal aborts while queued', async (t) => {
    fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 2, queueTimeoutMs: 1000 });
    b.tryEnter();
    const controller = new AbortController();
    const reason = new Error('client went away');
    const waiting = track(b.enter(controller.signal));
    assert.equal(b.queued, 1);
    controller.abort(reason);
    await settle();
    assert.equal(waiting.state, 'rejected');
    assert.equal(waiting.error, reason);
    assert.equal(b.queued, 0);
    b.leave();
    assert.equal(b.inFlight, 0);
  });

  it('rejects with an Error when the abort reason is not one', async (t) => {
    fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 1000 });
    b.tryEnter();
    const controller = new AbortController();
    const waiting = track(b.enter(controller.signal));
    controller.abort('bye');
    await settle();
    assert.equal(waiting.state, 'rejected');
    assert.ok(waiting.error instanceof Error);
    assert.equal(waiting.error.message, 'aborted');
  });

  it('does not queue a request whose signal has already aborted', async (t) => {
    const clock = fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 2, queueTimeoutMs: 1000 });
    b.tryEnter();
    const reason = new Error('already gone');
    const waiting = track(b.enter(AbortSignal.abort(reason)));
    await settle();
    assert.equal(waiting.state, 'rejected');
    assert.equal(waiting.error, reason);
    assert.equal(b.queued, 0);
    clock.tick(1000);
    b.leave();
    assert.equal(b.inFlight, 0);
  });

  it('an abort after the slot was granted changes nothing, and no abort listener is left behind', async (t) => {
    const clock = fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 2, queueTimeoutMs: 1000 });
    b.tryEnter();
    const granted = new AbortController();
    const timedOut = new AbortController();
    const first = track(b.enter(granted.signal));
    const second = track(b.enter(timedOut.signal));
    b.leave();
    await settle();
    assert.equal(first.state, 'resolved');
    granted.abort();
    await settle();
    assert.equal(first.state, 'resolved');
    assert.equal(b.inFlight, 1);
    assert.equal(getEventListeners(granted.signal, 'abort').length, 0);

    clock.tick(1000);
    await settle();
    assert.equal(second.state, 'rejected');
    assert.equal(getEventListeners(timedOut.signal, 'abort').length, 0);
  });

  it('reports saturated only with every slot taken and the queue full', async (t) => {
    fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 2, maxQueue: 1, queueTimeoutMs: 1000 });
    assert.equal(b.saturated, false);
    b.tryEnter();
    b.tryEnter();
    assert.equal(b.saturated, false);
    const controller = new AbortController();
    const waiting = track(b.enter(controller.signal));
    assert.equal(b.saturated, true);
    controller.abort(new Error('x'));
    await settle();
    assert.equal(waiting.state, 'rejected');
    assert.equal(b.saturated, false);
    b.leave();
    assert.equal(b.saturated, false);
  });

  it('keeps counts consistent when waiters in the middle time out or abort', async (t) => {
    const clock = fakeTimers(t);
    const b = new Bulkhead({ maxConcurrent: 1, maxQueue: 4, queueTimeoutMs: 1000 });
    b.tryEnter();
    const order: string[] = [];
    const a = b.enter().then(() => order.push('a'));
    clock.tick(600);
    const controller = new AbortController();
    const aborted = track(b.enter(controller.signal));
    const late = b.enter().then(() => order.push('late'));
    assert.equal(b.queued, 3);
    controller.abort(new Error('x'));
    await settle();
    assert.equal(aborted.state, 'rejected');
    assert.equal(b.queued, 2);
    b.leave(); // to a
    await a;
    clock.tick(400); // a had been waiting 1000 ms, but it already holds the slot
    clock.tick(700); // late has now waited 1100 ms: timed out
    await assert.rejects(late, (err: unknown) => err instanceof BulkheadFullError && err.reason === 'queue_timeout');
    assert.deepEqual(order, ['a']);
    assert.equal(b.queued, 0);
    assert.equal(b.inFlight, 1);
    b.leave();
    assert.equal(b.inFlight, 0);
    assert.equal(b.saturated, false);
  });
});
