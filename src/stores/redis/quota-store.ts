// Quota counters in Redis, shared by every replica. Admission is one Lua script, so checking every counter and
// charging all of them is one atomic step however many replicas race; the script runs by EVALSHA (ioredis loads it
// again after a Redis restart). Times are the caller's, not Redis's, so every replica cuts the same buckets and
// tests can choose the clock.
//
// Keys: `${prefix}q:${key}:${bucket}` per sliding bucket (bucket = floor(now / ms)), `${prefix}q:${key}:p${start}`
// per fixed period. Each expires by itself once nothing reads it any more.
import type { Redis, Result } from 'ioredis';
import { QuotaStoreUnavailable, type AdmitResult, type CounterState, type QuotaAdjustment, type QuotaCharge, type QuotaStore } from '../quota-store.ts';
import { fixedState, inPeriod, slidingState, validateAdjustments, validateCharges } from '../quota-window.ts';
import { closeRedis, connectRedis, DEFAULT_COMMAND_TIMEOUT_MS, isRedisUsable, waitUntilUsable } from './connection.ts';
import { StallBreaker } from './stall-breaker.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    archwayQuotaAdmit(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Result<number[], Context>;
    archwayQuotaAdjust(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Result<number, Context>;
  }
}

export interface RedisQuotaStoreOptions {
  readonly url: string;
  /** Put before every key, e.g. `archway:`, so several gateways (or tests) can share one Redis. */
  readonly prefix: string;
  /** A command without an answer after this long counts as Redis unavailable (default 250 ms). */
  readonly timeoutMs?: number;
  /** The first connection error of each time Redis is away. */
  readonly onError?: (error: Error) => void;
}

// A sliding bucket is read for two windows (as the current bucket, then as the previous one); the slack covers
// clocks of replicas that disagree a little. A fixed period is kept a day past its end for late settlements.
const SLIDING_SLACK_MS = 10_000;
const FIXED_GRACE_MS = 86_400_000;

// KEYS: per charge, its counter in the current bucket (or period) and in the previous bucket (for a fixed window,
// the period's again; unread). ARGV: per charge, amount, limit, w, ms, ttl, where the previous bucket counts
// ceil(previous * w / ms) (w = 0 for a fixed window), exactly as slidingState() computes it.
// Returns {refused (1-based, 0 if admitted), then per charge its current and previous count, after charging}.
const ADMIT_LUA = `
local n = #KEYS / 2
local cur, prev, pending = {}, {}, {}
local refused = 0
for i = 1, n do
  local k, a = KEYS[2 * i - 1], 5 * (i - 1)
  local amount, limit, w, ms = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local c, p = tonumber(redis.call('GET', k) or 0), 0
  if w > 0 then p = tonumber(redis.call('GET', KEYS[2 * i]) or 0) end
  cur[i], prev[i] = c, p
  local weighted = 0
  if p > 0 then weighted = math.ceil(p * w / ms) end
  local pend = pending[k] or 0
  if c + pend + weighted + amount > limit then
    refused = i
    break
  end
  pending[k] = pend + amount
end
if refused == 0 then
  for i = 1, n do
    local k, a = KEYS[2 * i - 1], 5 * (i - 1)
    redis.call('INCRBY', k, ARGV[a + 1])
    redis.call('PEXPIRE', k, ARGV[a + 5])
  end
end
local out = {refused}
for i = 1, n do
  local k = KEYS[2 * i - 1]
  local c, p = cur[i], prev[i]
  if c == nil then
    c = tonumber(redis.call('GET', k) or 0)
    p = 0
    if tonumber(ARGV[5 * (i - 1) + 3]) > 0 then p = tonumber(redis.call('GET', KEYS[2 * i]) or 0) end
  elseif refused == 0 then
    c = c + pending[k]
  end
  out[2 * i], out[2 * i + 1] = c, p
end
return out
`;

// KEYS: counters. ARGV: per counter, delta and the ttl to give it if it is new. Counters never go below zero;
// taking back from a counter that has expired does nothing.
const ADJUST_LUA = `
for i = 1, #KEYS do
  local k, d = KEYS[i], tonumber(ARGV[2 * i - 1])
  if d > 0 or redis.call('EXISTS', k) == 1 then
    local v = redis.call('INCRBY', k, d)
    if v < 0 then redis.call('INCRBY', k, -v) end
    if redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, ARGV[2 * i]) end
  end
end
return #KEYS
`;

export class RedisQuotaStore implements QuotaStore {
  readonly kind = 'redis';
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #stall: StallBreaker;

  constructor(options: RedisQuotaStoreOptions) {
    this.#prefix = `${options.prefix}q:`;
    this.#client = connectRedis({ ...options, name: 'archway-quota' });
    this.#stall = new StallBreaker(2 * (options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS), 'Redis does not answer (a command timed out); trying it again shortly');
    this.#client.defineCommand('archwayQuotaAdmit', { lua: ADMIT_LUA });
    this.#client.defineCommand('archwayQuotaAdjust', { lua: ADJUST_LUA });
  }

  get healthy(): boolean {
    return isRedisUsable(this.#client) && !this.#stall.stalled;
  }

  /** Resolves true once connected, or false after `timeoutMs` without Redis (e.g. to say so at start-up). */
  ready(timeoutMs: number): Promise<boolean> {
    return waitUntilUsable(this.#client, timeoutMs);
  }

  async admit(charges: readonly QuotaCharge[], now: number): Promise<AdmitResult> {
    validateCharges(charges);
    const n = charges.length;
    if (n === 0) return { admitted: true, states: [] };
    const args: (string | number)[] = new Array(7 * n);
    for (let i = 0; i < n; i++) {
      const { key, window, amount, limit } = charges[i]!;
      if (window.kind === 'sliding') {
        const bucket = Math.floor(now / window.ms);
        args[2 * i] = `${this.#prefix}${key}:${bucket}`;
        args[2 * i + 1] = `${this.#prefix}${key}:${bucket - 1}`;
        setArgs(args, 2 * n + 5 * i, amount, limit, (bucket + 1) * window.ms - now, window.ms, 2 * window.ms + SLIDING_SLACK_MS);
      } else {
        const period = `${this.#prefix}${key}:p${window.start}`;
        args[2 * i] = period;
        args[2 * i + 1] = period;
        setArgs(args, 2 * n + 5 * i, amount, limit, 0, 1, Math.ceil(Math.max(0, window.end - now)) + FIXED_GRACE_MS);
      }
    }
    const reply = await this.#answer(() => this.#client.archwayQuotaAdmit(2 * n, ...args));
    const refused = reply[0]! - 1;
    const states = this.#states(charges, reply, now, refused >= 0);
    return refused < 0 ? { admitted: true, states } : { admitted: false, refused, states };
  }

  async adjust(adjustments: readonly QuotaAdjustment[]): Promise<void> {
    validateAdjustments(adjustments);
    const keys: string[] = [];
    const args: number[] = [];
    for (const { key, window, delta, chargedAt } of adjustments) {
      if (delta === 0) continue;
      if (window.kind === 'sliding') {
        keys.push(`${this.#prefix}${key}:${Math.floor(chargedAt / window.ms)}`);
        args.push(delta, 2 * window.ms + SLIDING_SLACK_MS);
      } else if (inPeriod(window, chargedAt)) {
        keys.push(`${this.#prefix}${key}:p${window.start}`);
        args.push(delta, Math.ceil(window.end - chargedAt) + FIXED_GRACE_MS);
      }
    }
    if (keys.length > 0) await this.#answer(() => this.#client.archwayQuotaAdjust(keys.length, ...keys, ...args));
  }

  async peek(charges: readonly QuotaCharge[], now: number): Promise<readonly CounterState[]> {
    validateCharges(charges);
    if (charges.length === 0) return [];
    const keys: string[] = [];
    for (const { key, window } of charges) {
      if (window.kind === 'sliding') {
        const bucket = Math.floor(now / window.ms);
        keys.push(`${this.#prefix}${key}:${bucket}`, `${this.#prefix}${key}:${bucket - 1}`);
      } else {
        keys.push(`${this.#prefix}${key}:p${window.start}`);
      }
    }
    const values = await this.#answer(() => this.#client.mget(keys));
    // The same layout as the admission script's reply: a leading slot, then current and previous per charge.
    const counts: number[] = [0];
    let v = 0;
    for (const { window } of charges) {
      counts.push(Number(values[v++] ?? 0), window.kind === 'sliding' ? Number(values[v++] ?? 0) : 0);
    }
    return this.#states(charges, counts, now, true);
  }

  async close(): Promise<void> {
    await closeRedis(this.#client);
  }

  /** States from counts laid out as [_, current0, previous0, current1, previous1, …]. */
  #states(charges: readonly QuotaCharge[], counts: readonly number[], now: number, retry: boolean): CounterState[] {
    const states: CounterState[] = new Array(charges.length);
    for (let i = 0; i < charges.length; i++) {
      const { window, amount, limit } = charges[i]!;
      const current = counts[2 * i + 1]!;
      states[i] =
        window.kind === 'sliding'
          ? slidingState(current, counts[2 * i + 2]!, now, window.ms, amount, limit, retry)
          : fixedState(current, window.end, amount, limit, retry);
    }
    return states;
  }

  /** The reply, or QuotaStoreUnavailable for anything that kept Redis from giving one. */
  async #answer<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await this.#stall.run(send);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new QuotaStoreUnavailable(`Redis quota store: ${message}`, { cause: error });
    }
  }
}

function setArgs(args: (string | number)[], at: number, amount: number, limit: number, w: number, ms: number, ttl: number): void {
  args[at] = amount;
  args[at + 1] = limit;
  args[at + 2] = w;
  args[at + 3] = ms;
  args[at + 4] = ttl;
}
