// The contract of a QuotaStore, run against every implementation: each gets it with one line, e.g.
//   quotaStoreConformance('redis', () => openRedisQuotaHarness(url));
// `open` must return a new, empty store each time; the suite closes every harness it opens. Times are passed in
// (`now`, `chargedAt`), so nothing here waits for the clock.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { QuotaStoreUnavailable, type CounterState, type QuotaCharge, type QuotaStore, type QuotaWindow } from '../../src/stores/quota-store.ts';

export interface QuotaStoreHarness {
  readonly store: QuotaStore;
  /** Another store on the same counters (another replica on the same Redis); absent for a store of one process. */
  openAnother?(): Promise<QuotaStore>;
  close(): Promise<void>;
}

const MIN = 60_000;
const DAY = 86_400_000;
/** The start of a minute bucket (and of a day), so offsets into it are easy to read. */
const T0 = 19_700 * DAY;
const perMinute: QuotaWindow = { kind: 'sliding', ms: MIN };
const today = { kind: 'fixed', start: T0, end: T0 + DAY } as const satisfies QuotaWindow;
const tomorrow = { kind: 'fixed', start: T0 + DAY, end: T0 + 2 * DAY } as const satisfies QuotaWindow;

function charge(key: string, amount: number, limit: number, window: QuotaWindow = perMinute): QuotaCharge {
  return { key, window, amount, limit };
}

export function quotaStoreConformance(name: string, open: () => Promise<QuotaStoreHarness>): void {
  describe(`QuotaStore conformance: ${name}`, () => {
    let harness: QuotaStoreHarness;
    let store: QuotaStore;
    beforeEach(async () => {
      harness = await open();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    const used = async (c: QuotaCharge, now: number): Promise<number> => (await store.peek([c], now))[0]!.used;

    it('admits up to the limit exactly, and refuses beyond it', async () => {
      const now = T0 + 1_000;
      const results = [];
      for (const amount of [2, 2, 2, 1, 1]) results.push(await store.admit([charge('rpm', amount, 5)], now));
      assert.deepEqual(
        results.map((r) => r.admitted),
        [true, true, false, true, false],
      );
      assert.deepEqual(results[0]!.states, [{ used: 2, limit: 5, resetAt: T0 + 2 * MIN }]);
      assert.equal(results[3]!.states[0]!.used, 5, 'the last unit fits: used + amount <= limit');
      const refused = results[4]!;
      assert.ok(!refused.admitted);
      assert.equal(refused.refused, 0);
      assert.equal(refused.states[0]!.used, 5, 'a refusal charges nothing');
      assert.equal(await used(charge('rpm', 0, 5), now), 5);
    });

    it('charges all or nothing: a refused second charge leaves the first uncharged', async () => {
      const now = T0 + 1_000;
      const charges = [charge('key', 3, 10), charge('team', 3, 4, today), charge('model', 3, 100)];
      const first = await store.admit(charges, now);
      assert.ok(first.admitted);
      assert.deepEqual(
        first.states.map((s) => s.used),
        [3, 3, 3],
      );
      const second = await store.admit(charges, now);
      assert.ok(!second.admitted);
      assert.equal(second.refused, 1);
      assert.deepEqual(
        second.states.map((s) => s.used),
        [3, 3, 3],
        'every state is reported, none charged',
      );
      assert.equal(second.states[1]!.retryAt, today.end, 'a full budget fits again when the next period starts');
      assert.deepEqual(
        (await store.peek(charges, now)).map((s) => s.used),
        [3, 3, 3],
      );
      // The refused counter alone was in the way.
      const third = await store.admit([charges[0]!, charge('team', 1, 4, today), charges[2]!], now);
      assert.ok(third.admitted);
      assert.deepEqual(
        third.states.map((s) => s.used),
        [6, 4, 6],
      );
    });

    it('counts a counter named twice in one admission twice', async () => {
      const now = T0 + 1_000;
      const r = await store.admit([charge('k', 3, 5), charge('k', 3, 5)], now);
      assert.ok(!r.admitted);
      assert.equal(r.refused, 1);
      assert.equal(await used(charge('k', 0, 5), now), 0);
      assert.ok((await store.admit([charge('k', 2, 5), charge('k', 3, 5)], now)).admitted);
      assert.equal(await used(charge('k', 0, 5), now), 5);
    });

    it('200 concurrent admissions against a limit of 10 admit exactly 10', async () => {
      const now = T0 + 1_000;
      const results = await Promise.all(Array.from({ length: 200 }, () => store.admit([charge('burst', 1, 10)], now)));
      assert.equal(results.filter((r) => r.admitted).length, 10);
      assert.equal(await used(charge('burst', 0, 10), now), 10);
    });

    it('two stores on the same counters admit exactly 10 together', async (t) => {
      if (!harness.openAnother) {
        t.skip('one process only');
        return;
      }
      const other = await harness.openAnother();
      const now = T0 + 1_000;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : other).admit([charge('shared', 1, 10), charge('shared-budget', 1, 1_000, today)], now)));
      assert.equal(results.filter((r) => r.admitted).length, 10);
      assert.deepEqual(
        (await other.peek([charge('shared', 0, 10), charge('shared-budget', 0, 1_000, today)], now)).map((s) => s.used),
        [10, 10],
      );
    });

    it('weights the previous bucket by how much of it is still inside the window', async () => {
      assert.ok((await store.admit([charge('tpm', 8, 10)], T0 + 10_000)).admitted);
      // A quarter into the next bucket, three quarters of the previous one still count: 8 * 0.75 = 6.
      const at = T0 + MIN + 15_000;
      assert.deepEqual(await store.peek([charge('tpm', 4, 10)], at), [{ used: 6, limit: 10, resetAt: T0 + 3 * MIN }]);
      const admitted = await store.admit([charge('tpm', 4, 10)], at);
      assert.deepEqual(admitted, { admitted: true, states: [{ used: 10, limit: 10, resetAt: T0 + 3 * MIN }] });
      // 4 now + 8 * (45 / 60) = 10: full. One more unit fits once the previous bucket counts 5: 8 * w <= 5, w = 37.5 s left.
      const refused = await store.admit([charge('tpm', 1, 10)], at);
      assert.deepEqual(refused, { admitted: false, refused: 0, states: [{ used: 10, limit: 10, resetAt: T0 + 3 * MIN, retryAt: T0 + MIN + 22_500 }] });
      assert.equal((await store.admit([charge('tpm', 1, 10)], T0 + MIN + 22_499)).admitted, false, 'not a ms before retryAt');
      assert.equal((await store.admit([charge('tpm', 1, 10)], T0 + MIN + 22_500)).admitted, true, 'at retryAt');
      // Rounding up: 8 * (37.4 / 60) = 4.99 counts as 5.
      assert.equal(await used(charge('tpm', 0, 10), T0 + MIN + 22_600), 5 + 5);
      // Two buckets on, only the bucket of T0 + MIN counts (5 units, weighted); three on, nothing.
      assert.equal(await used(charge('tpm', 0, 10), T0 + 2 * MIN + 30_000), 3);
      assert.equal(await used(charge('tpm', 0, 10), T0 + 3 * MIN), 0);
    });

    it('counts nothing of a bucket that has left the window, after a gap', async () => {
      assert.ok((await store.admit([charge('gap', 10, 10)], T0 + 59_000)).admitted);
      assert.equal(await used(charge('gap', 0, 10), T0 + MIN + 59_000), 1, 'still 1/60 of 10 in the window, rounded up');
      assert.ok((await store.admit([charge('other traffic', 1, 10)], T0 + MIN + 59_000)).admitted);
      const r = await store.admit([charge('gap', 10, 10)], T0 + 2 * MIN);
      assert.deepEqual(r, { admitted: true, states: [{ used: 10, limit: 10, resetAt: T0 + 4 * MIN }] });
      assert.equal(await used(charge('gap', 0, 10), T0 + 3 * MIN + 30_000), 5);
    });

    it('tells when a bucket too full on its own fits again: as it decays as the previous bucket', async () => {
      assert.ok((await store.admit([charge('rps', 10, 10)], T0 + 1_000)).admitted);
      const r = await store.admit([charge('rps', 1, 10)], T0 + 2_000);
      assert.ok(!r.admitted);
      // Next bucket: 10 * w + 1 <= 10 once w <= 0.9, i.e. 54 s before the end of the next bucket.
      assert.equal(r.states[0]!.retryAt, T0 + 2 * MIN - 54_000);
      assert.equal((await store.admit([charge('rps', 1, 10)], T0 + MIN + 5_999)).admitted, false);
      assert.equal((await store.admit([charge('rps', 1, 10)], T0 + MIN + 6_000)).admitted, true);
    });

    it('gives no retryAt for an amount over the limit, which never fits', async () => {
      const r = await store.admit([charge('big', 11, 10), charge('big-budget', 11, 10, today)], T0);
      assert.deepEqual(r, {
        admitted: false,
        refused: 0,
        states: [
          { used: 0, limit: 10, resetAt: T0 + 2 * MIN },
          { used: 0, limit: 10, resetAt: today.end },
        ],
      });
    });

    it('starts a fixed period from zero when the next one begins', async () => {
      assert.ok((await store.admit([charge('budget', 60, 100, today)], T0 + 5_000)).admitted);
      const r = await store.admit([charge('budget', 50, 100, today)], T0 + DAY - 1);
      assert.deepEqual(r, { admitted: false, refused: 0, states: [{ used: 60, limit: 100, resetAt: today.end, retryAt: today.end }] });
      const next = await store.admit([charge('budget', 50, 100, tomorrow)], T0 + DAY);
      assert.deepEqual(next, { admitted: true, states: [{ used: 50, limit: 100, resetAt: tomorrow.end }] });
    });

    it('adjusts up and down, never below zero', async () => {
      const at = T0 + 1_000;
      for (const window of [perMinute, today]) {
        assert.ok((await store.admit([charge(`adj-${window.kind}`, 5, 100, window)], at)).admitted);
        const c = charge(`adj-${window.kind}`, 0, 100, window);
        await store.adjust([{ key: c.key, window, delta: -3, chargedAt: at }]);
        assert.equal(await used(c, at), 2, window.kind);
        await store.adjust([{ key: c.key, window, delta: 40, chargedAt: at }]);
        assert.equal(await used(c, at), 42, window.kind);
        await store.adjust([{ key: c.key, window, delta: -100, chargedAt: at }]);
        assert.equal(await used(c, at), 0, window.kind);
        await store.adjust([{ key: c.key, window, delta: 7, chargedAt: at }]);
        assert.equal(await used(c, at), 7, `${window.kind}: clamped at zero, not carried below it`);
      }
      // Several at once, and taking back from a counter never charged.
      await store.adjust([
        { key: 'adj-sliding', window: perMinute, delta: 1, chargedAt: at },
        { key: 'never', window: perMinute, delta: -5, chargedAt: at },
        { key: 'adj-fixed', window: today, delta: -2, chargedAt: at },
      ]);
      assert.deepEqual(
        (await store.peek([charge('adj-sliding', 0, 100), charge('never', 0, 100), charge('adj-fixed', 0, 100, today)], at)).map((s) => s.used),
        [8, 0, 5],
      );
    });

    it('adjusts the bucket the charge went to', async () => {
      assert.ok((await store.admit([charge('late', 6, 100)], T0 + 1_000)).admitted);
      assert.ok((await store.admit([charge('late', 1, 100)], T0 + MIN + 30_000)).admitted);
      assert.equal(await used(charge('late', 0, 100), T0 + MIN + 30_000), 1 + 3);
      // Settling the first request (now a bucket old) refunds its bucket, not the current one.
      await store.adjust([{ key: 'late', window: perMinute, delta: -6, chargedAt: T0 + 1_000 }]);
      assert.equal(await used(charge('late', 0, 100), T0 + MIN + 30_000), 1);
      await store.adjust([{ key: 'late', window: perMinute, delta: 4, chargedAt: T0 + 2_000 }]);
      assert.equal(await used(charge('late', 0, 100), T0 + MIN + 30_000), 1 + 2);
      assert.ok((await store.admit([charge('late', 1, 100)], T0 + 2 * MIN + 30_000)).admitted);
      // A bucket older than the previous one counts no more: correcting it changes nothing counted now.
      await store.adjust([{ key: 'late', window: perMinute, delta: 50, chargedAt: T0 + 2_000 }]);
      assert.equal(await used(charge('late', 0, 100), T0 + 2 * MIN + 30_000), 1 + 1);
    });

    it('adjusts the period the charge went to, and only that', async () => {
      assert.ok((await store.admit([charge('spend', 10, 100, tomorrow)], T0 + DAY + 1_000)).admitted);
      // A request admitted yesterday, settled today: its correction belongs to yesterday, whatever window is named.
      await store.adjust([
        { key: 'spend', window: tomorrow, delta: -10, chargedAt: T0 + DAY - 1 },
        { key: 'spend', window: today, delta: 30, chargedAt: T0 + DAY - 1 },
      ]);
      assert.equal(await used(charge('spend', 0, 100, tomorrow), T0 + DAY + 2_000), 10);
      await store.adjust([{ key: 'spend', window: tomorrow, delta: -4, chargedAt: T0 + DAY + 1_000 }]);
      assert.equal(await used(charge('spend', 0, 100, tomorrow), T0 + DAY + 2_000), 6);
    });

    it('peek reads without charging, with retryAt where the amount does not fit', async () => {
      const now = T0 + 1_000;
      assert.ok((await store.admit([charge('p', 9, 10), charge('pb', 9, 10, today)], now)).admitted);
      const peek = (): Promise<readonly CounterState[]> => store.peek([charge('p', 1, 10), charge('p', 2, 10), charge('pb', 2, 10, today)], now);
      const expected = [
        { used: 9, limit: 10, resetAt: T0 + 2 * MIN },
        // 9 + 2 > 10: in the next bucket, 9 * w + 2 <= 10 once w <= 8/9, i.e. 53.33… s before its end.
        { used: 9, limit: 10, resetAt: T0 + 2 * MIN, retryAt: T0 + 2 * MIN - 53_333 },
        { used: 9, limit: 10, resetAt: today.end, retryAt: today.end },
      ];
      assert.deepEqual(await peek(), expected);
      assert.deepEqual(await peek(), expected, 'peeking twice charges nothing either');
      assert.deepEqual(await store.peek([charge('unseen', 5, 10)], now), [{ used: 0, limit: 10, resetAt: T0 + 2 * MIN }]);
      assert.ok((await store.admit([charge('p', 1, 10)], now)).admitted);
    });

    it('keeps separate keys separate', async () => {
      const now = T0 + 1_000;
      assert.ok((await store.admit([charge('a', 10, 10), charge('x', 10, 10, today)], now)).admitted);
      assert.ok((await store.admit([charge('b', 10, 10), charge('y', 10, 10, today)], now)).admitted);
      assert.ok((await store.admit([charge('a:1', 1, 1), charge('a1', 1, 1)], now)).admitted, 'keys that look alike');
      assert.ok(!(await store.admit([charge('a', 1, 10)], now)).admitted);
      assert.deepEqual(
        (await store.peek([charge('a', 0, 10), charge('b', 0, 10), charge('c', 0, 10), charge('x', 0, 10, today), charge('z', 0, 10, today)], now)).map((s) => s.used),
        [10, 10, 0, 10, 0],
      );
    });

    it('admits an empty list of charges', async () => {
      assert.deepEqual(await store.admit([], T0), { admitted: true, states: [] });
      assert.deepEqual(await store.peek([], T0), []);
      await store.adjust([]);
    });

    it('refuses amounts that are not whole numbers as a programming error, not as unavailability', async () => {
      for (const bad of [charge('f', 1.5, 10), charge('f', -1, 10), charge('f', 1, 10.5)]) {
        await assert.rejects(store.admit([bad], T0), (e: unknown) => e instanceof RangeError && !(e instanceof QuotaStoreUnavailable));
      }
      await assert.rejects(store.adjust([{ key: 'f', window: perMinute, delta: 0.5, chargedAt: T0 }]), RangeError);
      assert.equal(await used(charge('f', 0, 10), T0), 0);
    });

    it('says what it is', () => {
      assert.equal(typeof store.kind, 'string');
      assert.equal(store.healthy, true);
    });
  });
}
