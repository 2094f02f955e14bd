// A circuit breaker per backend: after consecutive failures, or a failure rate over a rolling window, the backend is
// taken out of rotation for `open_ms`; then up to `half_open_probes` requests test it, and one success closes it
// again. A 429 with Retry-After is not a fault of the backend but a request to wait, so it cools the backend down
// until then without counting as a failure.
import type { CircuitBreakerPolicy } from '../config/schema.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Numeric encoding for the Prometheus gauge: 0 closed, 1 half-open, 2 open. */
export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2 };

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  windowRequests: number;
  windowFailures: number;
  /** Epoch ms until which the backend is refused (open, or cooling down after a 429). 0 when not. */
  refusingUntil: number;
  coolingDown: boolean;
}

// The window is kept as a ring of buckets so recording is O(1) and memory is fixed.
const BUCKETS = 10;

export class CircuitBreaker {
  readonly policy: CircuitBreakerPolicy;
  readonly #now: () => number;
  #state: CircuitState = 'closed';
  #consecutiveFailures = 0;
  #openUntil = 0;
  #coolUntil = 0;
  #probesInFlight = 0;
  readonly #bucketMs: number;
  readonly #requests = new Uint32Array(BUCKETS);
  readonly #failures = new Uint32Array(BUCKETS);
  readonly #bucketEpoch = new Float64Array(BUCKETS);

  constructor(policy: CircuitBreakerPolicy, now: () => number = Date.now) {
    this.policy = policy;
    this.#now = now;
    this.#bucketMs = Math.max(1, Math.ceil(policy.window_ms / BUCKETS));
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() >= this.#openUntil) return 'half-open';
    return this.#state;
  }

  /** Whether a request could be sent now, without taking a probe slot: for ordering candidates. */
  canAttempt(): boolean {
    const now = this.#now();
    if (now < this.#coolUntil) return false;
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half-open') return this.#probesInFlight < this.policy.half_open_probes;
    return false;
  }

  /**
   * Takes permission for one request. In half-open this reserves one of the probe slots, so the caller must end it
   * with onSuccess, onFailure or release.
   */
  tryAcquire(): boolean {
    if (!this.canAttempt()) return false;
    if (this.state === 'half-open') {
      this.#state = 'half-open';
      this.#probesInFlight++;
    }
    return true;
  }

  onSuccess(): void {
    this.#record(false);
    this.#consecutiveFailures = 0;
    if (this.#state === 'half-open') {
      this.#probesInFlight = Math.max(0, this.#probesInFlight - 1);
      this.#close();
    }
  }

  onFailure(): void {
    this.#record(true);
    this.#consecutiveFailures++;
    if (this.#state === 'half-open') {
      this.#probesInFlight = Math.max(0, this.#probesInFlight - 1);
      this.#open();
      return;
    }
    if (this.#state === 'closed' && (this.#consecutiveFailures >= this.policy.consecutive_failures || this.#rateTripped())) {
      this.#open();
    }
  }

  /** Ends a request that says nothing of the backend's health (the client went away, the request was invalid). */
  release(): void {
    if (this.#state === 'half-open') this.#probesInFlight = Math.max(0, this.#probesInFlight - 1);
  }

  /**
   * The upstream asked for a pause (429 Retry-After): refuse until then, without counting a failure. It takes no
   * permit back: the attempt that saw the 429 ends itself, and a cool-down told by another replica had none.
   */
  coolDown(untilEpochMs: number): void {
    if (untilEpochMs > this.#coolUntil) this.#coolUntil = untilEpochMs;
  }

  /** Ms until this backend may be tried again (0 when it may now). */
  retryInMs(): number {
    const now = this.#now();
    let until = this.#coolUntil;
    if (this.#state === 'open') until = Math.max(until, this.#openUntil);
    return Math.max(0, until - now);
  }

  snapshot(): CircuitSnapshot {
    const now = this.#now();
    const { requests, failures } = this.#windowTotals(now);
    return {
      state: this.state,
      consecutiveFailures: this.#consecutiveFailures,
      windowRequests: requests,
      windowFailures: failures,
      // Once open_ms has passed the circuit is half-open and no longer refuses: report 0, not a time in the past.
      refusingUntil: Math.max(this.#state === 'open' && this.#openUntil > now ? this.#openUntil : 0, this.#coolUntil > now ? this.#coolUntil : 0),
      coolingDown: this.#coolUntil > now,
    };
  }

  #open(): void {
    this.#state = 'open';
    // Probes still out when a probe failure re-opens the circuit end while it is open, where they are not counted
    // down; without this reset they would keep their slots into every later half-open phase, and with
    // half_open_probes > 1 the circuit could end up allowing no probe at all, never to close again.
    this.#probesInFlight = 0;
    this.#openUntil = this.#now() + this.policy.open_ms;
  }

  #close(): void {
    this.#state = 'closed';
    this.#consecutiveFailures = 0;
    this.#requests.fill(0);
    this.#failures.fill(0);
  }

  #record(failed: boolean): void {
    const now = this.#now();
    const epoch = Math.floor(now / this.#bucketMs);
    const i = epoch % BUCKETS;
    if (this.#bucketEpoch[i] !== epoch) {
      this.#bucketEpoch[i] = epoch;
      this.#requests[i] = 0;
      this.#failures[i] = 0;
    }
    this.#requests[i]!++;
    if (failed) this.#failures[i]!++;
  }

  #windowTotals(now: number): { requests: number; failures: number } {
    const epoch = Math.floor(now / this.#bucketMs);
    let requests = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (epoch - this.#bucketEpoch[i]! < BUCKETS) {
        requests += this.#requests[i]!;
        failures += this.#failures[i]!;
      }
    }
    return { requests, failures };
  }

  #rateTripped(): boolean {
    const { requests, failures } = this.#windowTotals(this.#now());
    return requests >= this.policy.min_requests && failures / requests >= this.policy.failure_rate;
  }
}
