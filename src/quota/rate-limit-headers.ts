// OpenAI's rate-limit headers (x-ratelimit-{limit,remaining,reset}-{requests,tokens}), from the counters a request
// was charged to. Where a key, its team and the model each limit, the headers show the tightest one: the one a
// client must pace itself by. Budgets add x-archway-budget-remaining-usd, the same way.
import type { CounterState } from '../stores/quota-store.ts';
import { MICRO_USD, type PlannedCharge, type QuotaLimitKind } from './quota-plan.ts';

/** As OpenAI writes durations: "350ms", "1.5s", "6m0s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.ceil(seconds - minutes * 60)}s`;
}

function tightest(kind: QuotaLimitKind, charges: readonly PlannedCharge[], states: readonly CounterState[]): CounterState | undefined {
  let best: CounterState | undefined;
  for (let i = 0; i < charges.length; i++) {
    if (charges[i]!.limitKind !== kind) continue;
    const s = states[i]!;
    if (best === undefined || s.limit - s.used < best.limit - best.used) best = s;
  }
  return best;
}

const RATE_LIMITS = [
  { kind: 'requests', limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  { kind: 'tokens', limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
] as const;

/** Adds the headers of the counters a request was charged to `headers`. */
export function addRateLimitHeaders(headers: Record<string, string>, charges: readonly PlannedCharge[], states: readonly CounterState[], now: number): void {
  for (const names of RATE_LIMITS) {
    const s = tightest(names.kind, charges, states);
    if (s === undefined) continue;
    headers[names.limit] = String(s.limit);
    headers[names.remaining] = String(Math.max(0, Math.floor(s.limit - s.used)));
    headers[names.reset] = formatReset(s.resetAt - now);
  }
  const budget = tightest('budget', charges, states);
  if (budget !== undefined) headers['x-archway-budget-remaining-usd'] = (Math.max(0, budget.limit - budget.used) / MICRO_USD).toFixed(6);
}
