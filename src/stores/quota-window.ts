// The arithmetic of quota windows, shared by every QuotaStore so they all answer with the same numbers: what a
// sliding counter holds at a moment, when a refused amount fits again, and what the stores refuse to count (Redis
// adds integers only).
import type { CounterState, QuotaAdjustment, QuotaCharge } from './quota-store.ts';


/** Rejects what would make the stores disagree (Redis counts integers only): amounts and limits are whole numbers. */
export function validateCharges(charges: readonly QuotaCharge[]): void {
  for (let i = 0; i < charges.length; i++) {
    const { key, window, amount, limit } = charges[i]!;
    if (!Number.isSafeInteger(amount) || amount < 0 || !Number.isSafeInteger(limit)) {
      throw new RangeError(`quota charge ${key}: amount and limit must be whole numbers, got ${amount} and ${limit}`);
    }
    if (window.kind === 'sliding' ? !(window.ms >= 1 && Number.isSafeInteger(window.ms)) : !(window.end > window.start)) {
      throw new RangeError(`quota charge ${key}: invalid window`);
    }
  }
}

export function validateAdjustments(adjustments: readonly QuotaAdjustment[]): void {
  for (const a of adjustments) {
    if (!Number.isSafeInteger(a.delta)) throw new RangeError(`quota adjustment ${a.key}: delta must be a whole number, got ${a.delta}`);
  }
}

/** Whether a fixed-window charge made at `chargedAt` went to the period of `window` (the only one an adjustment names). */
export function inPeriod(window: { readonly start: number; readonly end: number }, chargedAt: number): boolean {
  return chargedAt >= window.start && chargedAt < window.end;
}

/**
 * What is left in the window at `t` of the previous bucket's count: the part of that bucket still inside the
 * window, rounded up. Rounding up keeps counts whole, and for whole amounts and limits `used + amount <= limit`
 * decides exactly as it would on the unrounded count.
 */
export function weighted(previous: number, t: number, ms: number): number {
  if (previous === 0) return 0;
  const end = (Math.floor(t / ms) + 1) * ms;
  return Math.ceil((previous * (end - t)) / ms);
}

/** A sliding counter's state at `t`, from the counts of the bucket of `t` and the one before it. */
export function slidingState(current: number, previous: number, t: number, ms: number, amount: number, limit: number, retry: boolean): CounterState {
  const start = Math.floor(t / ms) * ms;
  const used = current + weighted(previous, t, ms);
  const resetAt = start + 2 * ms;
  // An amount over the limit never fits: no time to retry at.
  if (!retry || used + amount <= limit || amount > limit) return { used, limit, resetAt };
  return { used, limit, resetAt, retryAt: slidingRetryAt(current, previous, start, ms, amount, limit) };
}

/**
 * The first ms at which `amount` (<= limit) fits if nothing else is charged: when the previous bucket has decayed
 * enough, or, if the current bucket alone is too full, when it has decayed enough as the previous bucket of the next.
 */
function slidingRetryAt(current: number, previous: number, start: number, ms: number, amount: number, limit: number): number {
  const room = limit - amount - current;
  // Fits at t once count * (bucketEnd - t) <= room * ms, where `count` is the bucket that is decaying.
  if (room >= 0) return start + ms - Math.floor((room * ms) / previous);
  return start + 2 * ms - Math.floor(((limit - amount) * ms) / current);
}

/** A fixed counter's state; a refused amount fits again when the next period starts (or never, if over the limit). */
export function fixedState(used: number, end: number, amount: number, limit: number, retry: boolean): CounterState {
  if (!retry || used + amount <= limit || amount > limit) return { used, limit, resetAt: end };
  return { used, limit, resetAt: end, retryAt: end };
}
