// Counters behind budgets and rate limits. A request is admitted only if every counter it touches has room, and
// then charged to all of them in one atomic step, so concurrent requests (in one process, or in several sharing
// Redis) can never overshoot a limit together. What was charged on admission (a worst case) is corrected once the
// real usage is known.
//
// Two kinds of window:
// - sliding (rate limits): a sliding-window counter over `ms`. Time is cut into buckets of `ms`; the count is the
//   current bucket plus the previous bucket weighted by how much of it still lies inside the window.
// - fixed (budgets): a calendar period [start, end); the counter starts at zero when the next period starts.
//
// Every implementation passes test/conformance/quota-store.ts.

export type QuotaWindow = { readonly kind: 'sliding'; readonly ms: number } | { readonly kind: 'fixed'; readonly start: number; readonly end: number };

/** One counter a request is checked against and charged to. */
export interface QuotaCharge {
  /** The counter's name, e.g. `rpm:key:key_ab12`; the store adds its own prefix and the window's bucket or period. */
  readonly key: string;
  readonly window: QuotaWindow;
  /** Units this request takes (requests, tokens, micro-USD); integers. */
  readonly amount: number;
  /** The most the counter may hold: the request is refused when used + amount > limit. */
  readonly limit: number;
}

export interface CounterState {
  /** Units counted now in the window (after this request's charge, when it was admitted). */
  readonly used: number;
  readonly limit: number;
  /**
   * Epoch ms: for a fixed window, its end; for a sliding window, when the units counted now will have left it
   * (the end of the current bucket plus one window) — what `x-ratelimit-reset-*` and Retry-After are made from.
   */
  readonly resetAt: number;
  /** For a refused sliding charge: epoch ms when `amount` would fit again, as best known (for Retry-After). */
  readonly retryAt?: number;
}

export type AdmitResult =
  | { readonly admitted: true; readonly states: readonly CounterState[] }
  /** `refused` is the index of the first charge that did not fit; nothing was charged. */
  | { readonly admitted: false; readonly refused: number; readonly states: readonly CounterState[] };

/** A correction of an earlier charge: `delta` (may be negative) goes to the bucket or period the charge went to. */
export interface QuotaAdjustment {
  readonly key: string;
  readonly window: QuotaWindow;
  readonly delta: number;
  /** Epoch ms of the admission whose charge this corrects (chooses the bucket or period). */
  readonly chargedAt: number;
}

/** The store cannot answer now (Redis unreachable or too slow): the caller applies its fail-open or fail-closed policy. */
export class QuotaStoreUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QuotaStoreUnavailable';
  }
}

export interface QuotaStore {
  /** Checks every charge and, only if all fit, adds them all. Rejects with QuotaStoreUnavailable. */
  admit(charges: readonly QuotaCharge[], now: number): Promise<AdmitResult>;
  /** Adds corrections (settlement, refunds). Counters never go below zero. Rejects with QuotaStoreUnavailable. */
  adjust(adjustments: readonly QuotaAdjustment[]): Promise<void>;
  /** The state of counters without charging them (amount and limit are read from the charges). */
  peek(charges: readonly QuotaCharge[], now: number): Promise<readonly CounterState[]>;
  /** Whether the store answers now; a shared store reconnects by itself and turns healthy again. */
  readonly healthy: boolean;
  /** "in-process" or "redis", for /readyz. */
  readonly kind: string;
  close(): Promise<void>;
}

/** Circuit-breaker cool-downs (a 429's Retry-After) seen by one replica, told to every other one. */
export interface CoolDownBus {
  /** Tells every replica that `backendId` cools down until `until` (epoch ms). */
  publish(backendId: string, until: number): void;
  /** Called for cool-downs published by any replica (this one included), and for those current when it subscribes. */
  subscribe(listener: (backendId: string, until: number) => void): void;
  close(): Promise<void>;
}
