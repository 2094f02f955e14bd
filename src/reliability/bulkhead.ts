// A bulkhead caps what one backend may have in flight, so a slow backend cannot take every socket and every byte of
// memory of the gateway. Requests over the cap wait in a bounded FIFO queue for a bounded time; past that they are
// refused at once (the client gets 429 with Retry-After) instead of piling up without limit.

export class BulkheadFullError extends Error {
  readonly reason: 'queue_full' | 'queue_timeout';
  constructor(reason: 'queue_full' | 'queue_timeout') {
    super(reason === 'queue_full' ? 'bulkhead queue is full' : 'timed out waiting for a bulkhead slot');
    this.name = 'BulkheadFullError';
    this.reason = reason;
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  settled: boolean;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

export interface BulkheadLimits {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
}

export class Bulkhead {
  readonly limits: BulkheadLimits;
  #inFlight = 0;
  readonly #queue: Waiter[] = [];
  #queueHead = 0;

  constructor(limits: BulkheadLimits) {
    this.limits = limits;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** True when a request would be refused right now (no slot and no room to wait). */
  get saturated(): boolean {
    return this.#inFlight >= this.limits.maxConcurrent && this.queued >= this.limits.maxQueue;
  }

  /** Takes a slot at once if one is free: the hot path, with no promise allocated. */
  tryEnter(): boolean {
    if (this.#inFlight < this.limits.maxConcurrent && this.queued === 0) {
      this.#inFlight++;
      return true;
    }
    return false;
  }

  /** Waits for a slot; rejects with BulkheadFullError when the queue is full or the wait times out. */
  enter(signal?: AbortSignal): Promise<void> {
    if (this.tryEnter()) return Promise.resolve();
    if (this.queued >= this.limits.maxQueue) return Promise.reject(new BulkheadFullError('queue_full'));
    // An 'abort' listener added to an already-aborted signal never fires: without this the request would sit in
    // the queue (holding a place) until a slot or the timeout came.
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => this.#abandon(waiter, new BulkheadFullError('queue_timeout')), this.limits.queueTimeoutMs),
        signal,
        onAbort: undefined,
      };
      if (signal) {
        waiter.onAbort = () => this.#abandon(waiter, abortReason(signal));
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
    });
  }

  /** Gives a slot back; hands it straight to the longest waiter, if any. */
  leave(): void {
    while (this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead++]!;
      if (next.settled) continue;
      next.settled = true;
      clearTimeout(next.timer);
      Bulkhead.#unlisten(next);
      this.#compact();
      next.resolve(); // the slot passes to the waiter: #inFlight is unchanged
      return;
    }
    this.#compact();
    this.#inFlight--;
  }

  #abandon(waiter: Waiter, err: Error): void {
    if (waiter.settled) return;
    waiter.settled = true;
    clearTimeout(waiter.timer);
    Bulkhead.#unlisten(waiter);
    const at = this.#queue.indexOf(waiter, this.#queueHead);
    if (at >= 0) this.#queue.splice(at, 1);
    waiter.reject(err);
  }

  // The signal usually outlives the wait (it is the request's): a listener left on it would keep the waiter alive
  // and pile up across attempts (Node warns past 10 listeners).
  static #unlisten(waiter: Waiter): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  #compact(): void {
    if (this.#queueHead > 64 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }
}
