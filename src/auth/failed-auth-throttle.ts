// Repeated failed authentications from one client address are slowed, then refused: guessing keys or tokens costs
// the guesser time, and a blocked address is answered 429 before any key is even looked at. Counting is per address
// over a fixed window, in memory (a replica counts its own; a guesser spread over replicas is slowed on each).
// Successes do not reset the count, or one valid key would launder any number of guesses.
import type { BruteForcePolicy } from '../config/security-schema.ts';

interface ClientRecord {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

/** Beyond this many addresses tracked, the oldest windows are forgotten first (memory stays bounded under a flood). */
const MAX_TRACKED = 100_000;
/** No single answer is delayed longer than this, whatever the count: slow, but never a hung connection. */
const MAX_DELAY_MS = 5_000;

export type FailureVerdict = { delayMs: number; blocked: false } | { delayMs: 0; blocked: true; retryAfterS: number };

export class FailedAuthThrottle {
  readonly #policy: BruteForcePolicy;
  readonly #clients = new Map<string, ClientRecord>();

  constructor(policy: BruteForcePolicy) {
    this.#policy = policy;
  }

  /** Seconds the client must still wait, or 0 when it may try. */
  blockedFor(client: string, now: number = Date.now()): number {
    const record = this.#clients.get(client);
    if (record === undefined || record.blockedUntil <= now) return 0;
    return Math.ceil((record.blockedUntil - now) / 1000);
  }

  /** Counts a failure; says how long to delay the 401, or that the client is now blocked. */
  onFailure(client: string, now: number = Date.now()): FailureVerdict {
    const p = this.#policy;
    let record = this.#clients.get(client);
    if (record === undefined || now - record.windowStart >= p.window_s * 1000) {
      if (record === undefined && this.#clients.size >= MAX_TRACKED) this.#forgetOldest();
      record = { windowStart: now, failures: 0, blockedUntil: record?.blockedUntil ?? 0 };
      this.#clients.delete(client); // re-inserted last: the Map's order is the windows' age
      this.#clients.set(client, record);
    }
    record.failures++;
    if (record.failures >= p.block_after) {
      record.blockedUntil = now + p.block_s * 1000;
      record.failures = 0;
      record.windowStart = now;
      return { delayMs: 0, blocked: true, retryAfterS: p.block_s };
    }
    const over = record.failures - p.slow_after;
    return { delayMs: over > 0 ? Math.min(over * p.delay_ms, MAX_DELAY_MS) : 0, blocked: false };
  }

  get tracked(): number {
    return this.#clients.size;
  }

  #forgetOldest(): void {
    let n = Math.ceil(MAX_TRACKED / 10);
    for (const key of this.#clients.keys()) {
      if (n-- <= 0) break;
      this.#clients.delete(key);
    }
  }
}
