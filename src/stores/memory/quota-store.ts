// Quota counters in this process: for a single replica, and what a Redis-backed gateway falls back to (fail-open)
// while Redis is away. Admission is synchronous inside one call, so the event loop makes it atomic for free.
//
// Each sliding counter keeps just its current and previous bucket and rolls forward as time passes; each fixed
// counter keeps its newest period. A charge whose clock lags the newest bucket or period this store has seen (clocks
// are not monotonic across callers) is counted in the newest one: it errs towards refusing, never towards overshoot.
import type { AdmitResult, CounterState, QuotaAdjustment, QuotaCharge, QuotaStore, QuotaWindow } from '../quota-store.ts';
import { fixedState, inPeriod, slidingState, validateAdjustments, validateCharges, weighted } from '../quota-window.ts';

/** Spend counted before this process started (budgets spent so far this period, from the usage table). */
export interface QuotaSeed {
  readonly key: string;
  readonly window: QuotaWindow;
  readonly used: number;
  /** Epoch ms the spend was made (chooses the bucket or period, as an adjustment's `chargedAt`). */
  readonly at: number;
}

export interface InProcessQuotaStoreOptions {
  seed?: Iterable<QuotaSeed>;
}

// Counters left behind by keys nobody uses any more are dropped this often (in the callers' time).
const SWEEP_EVERY_MS = 60_000;

interface SlidingCounter {
  ms: number;
  /** Index of the current bucket: floor(time / ms). */
  bucket: number;
  current: number;
  previous: number;
  /** Charges of the admission being decided, so a key named twice in one admission is counted twice. */
  pending: number;
}

interface FixedCounter {
  start: number;
  end: number;
  used: number;
  pending: number;
}

export class InProcessQuotaStore implements QuotaStore {
  readonly kind = 'in-process';
  readonly healthy = true;
  readonly #sliding = new Map<string, SlidingCounter>();
  readonly #fixed = new Map<string, FixedCounter>();
  #nextSweep = Number.NEGATIVE_INFINITY;

  constructor(options: InProcessQuotaStoreOptions = {}) {
    if (options.seed) {
      // Spend is recomputed from recorded costs, which need not be whole: round up, as budgets err towards refusing.
      for (const s of options.seed) this.#adjustOne(s.key, s.window, Math.ceil(s.used), s.at);
    }
  }

  async admit(charges: readonly QuotaCharge[], now: number): Promise<AdmitResult> {
    validateCharges(charges);
    if (now >= this.#nextSweep) this.#sweep(now);
    const n = charges.length;
    const counters: (SlidingCounter | FixedCounter)[] = new Array(n);
    let refused = -1;
    for (let i = 0; i < n; i++) {
      const { key, window, amount, limit } = charges[i]!;
      if (window.kind === 'sliding') {
        const c = this.#slidingAt(key, window.ms, now);
        counters[i] = c;
        const t = now > c.bucket * c.ms ? now : c.bucket * c.ms;
        if (c.current + c.pending + weighted(c.previous, t, c.ms) + amount > limit) {
          refused = i;
          break;
        }
        c.pending += amount;
      } else {
        const c = this.#fixedAt(key, window);
        counters[i] = c;
        if (c.used + c.pending + amount > limit) {
          refused = i;
          break;
        }
        c.pending += amount;
      }
    }
    // Commit or forget the pending charges; counters past the refused one were not touched.
    const admitted = refused < 0;
    const decided = admitted ? n : refused;
    for (let i = 0; i < decided; i++) {
      const c = counters[i]!;
      if (admitted) {
        if ('current' in c) c.current += c.pending;
        else c.used += c.pending;
      }
      c.pending = 0;
    }
    if (!admitted) return { admitted: false, refused, states: this.#states(charges, now, true) };
    // Admitted: every counter is at hand, rolled to now.
    const states: CounterState[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const { amount, limit } = charges[i]!;
      const c = counters[i]!;
      states[i] =
        'current' in c
          ? slidingState(c.current, c.previous, now > c.bucket * c.ms ? now : c.bucket * c.ms, c.ms, amount, limit, false)
          : fixedState(c.used, c.end, amount, limit, false);
    }
    return { admitted: true, states };
  }

  async adjust(adjustments: readonly QuotaAdjustment[]): Promise<void> {
    validateAdjustments(adjustments);
    for (const a of adjustments) this.#adjustOne(a.key, a.window, a.delta, a.chargedAt);
  }

  async peek(charges: readonly QuotaCharge[], now: number): Promise<readonly CounterState[]> {
    validateCharges(charges);
    return this.#states(charges, now, true);
  }

  async close(): Promise<void> {
    this.#sliding.clear();
    this.#fixed.clear();
  }

  /** States read without creating counters; `retry` adds retryAt to those whose amount does not fit. */
  #states(charges: readonly QuotaCharge[], now: number, retry: boolean): CounterState[] {
    const states: CounterState[] = new Array(charges.length);
    for (let i = 0; i < charges.length; i++) {
      const { key, window, amount, limit } = charges[i]!;
      if (window.kind === 'sliding') {
        const c = this.#sliding.get(key);
        const bucket = Math.floor(now / window.ms);
        if (c === undefined || c.ms !== window.ms || bucket > c.bucket + 1) {
          states[i] = slidingState(0, 0, now, window.ms, amount, limit, retry);
        } else if (bucket === c.bucket + 1) {
          states[i] = slidingState(0, c.current, now, window.ms, amount, limit, retry);
        } else {
          states[i] = slidingState(c.current, c.previous, Math.max(now, c.bucket * c.ms), window.ms, amount, limit, retry);
        }
      } else {
        const c = this.#fixed.get(key);
        // A newer period than the window's is what a charge would go to (see the top of the file).
        states[i] = c !== undefined && c.start >= window.start ? fixedState(c.used, c.end, amount, limit, retry) : fixedState(0, window.end, amount, limit, retry);
      }
    }
    return states;
  }

  /** The sliding counter for `key`, rolled forward to the bucket of `now` (created if missing). */
  #slidingAt(key: string, ms: number, now: number): SlidingCounter {
    const bucket = Math.floor(now / ms);
    let c = this.#sliding.get(key);
    if (c === undefined) {
      c = { ms, bucket, current: 0, previous: 0, pending: 0 };
      this.#sliding.set(key, c);
    } else if (c.ms !== ms) {
      // A key names one counter with one window; a changed window (a config reload) starts it afresh.
      c.ms = ms;
      c.bucket = bucket;
      c.current = 0;
      c.previous = 0;
    } else if (bucket > c.bucket) {
      c.previous = bucket === c.bucket + 1 ? c.current : 0;
      c.current = 0;
      c.bucket = bucket;
    }
    return c;
  }

  /** The fixed counter for `key`, moved on to `window` if that period is newer (created if missing). */
  #fixedAt(key: string, window: { readonly start: number; readonly end: number }): FixedCounter {
    let c = this.#fixed.get(key);
    if (c === undefined) {
      c = { start: window.start, end: window.end, used: 0, pending: 0 };
      this.#fixed.set(key, c);
    } else if (window.start > c.start) {
      c.start = window.start;
      c.end = window.end;
      c.used = 0;
    }
    return c;
  }

  #adjustOne(key: string, window: QuotaWindow, delta: number, chargedAt: number): void {
    if (window.kind === 'sliding') {
      const bucket = Math.floor(chargedAt / window.ms);
      const existing = this.#sliding.get(key);
      // Nothing to take back from a counter that is gone; a bucket older than the previous one counts no more.
      if (existing === undefined && delta <= 0) return;
      if (existing !== undefined && existing.ms === window.ms && bucket < existing.bucket - 1) return;
      const c = this.#slidingAt(key, window.ms, chargedAt);
      if (bucket === c.bucket) c.current = Math.max(0, c.current + delta);
      else if (bucket === c.bucket - 1) c.previous = Math.max(0, c.previous + delta);
    } else {
      // The charge went to the period containing chargedAt; only that of `window` is known, so others are dropped.
      if (!inPeriod(window, chargedAt)) return;
      const existing = this.#fixed.get(key);
      if (existing === undefined && delta <= 0) return;
      if (existing !== undefined && window.start < existing.start) return;
      const c = this.#fixedAt(key, window);
      c.used = Math.max(0, c.used + delta);
    }
  }

  /** Drops counters that nothing counts any more: sliding ones two buckets old, fixed ones whose period ended. */
  #sweep(now: number): void {
    this.#nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, c] of this.#sliding) {
      if ((c.bucket + 2) * c.ms <= now) this.#sliding.delete(key);
    }
    for (const [key, c] of this.#fixed) {
      if (c.end <= now) this.#fixed.delete(key);
    }
  }

  /** Counters held, for tests of the sweep. */
  get size(): number {
    return this.#sliding.size + this.#fixed.size;
  }
}
