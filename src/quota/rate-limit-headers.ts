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

export function rateLimitHeaders(charges: readonly PlannedCharge[], states: readonly CounterState[], now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [kind, suffix] of [['requests', 'requests'], ['tokens', 'tokens']] as const) {
    const s = tightest(kind, charges, states);
    if (s === undefined) continue;
    headers[`x-ratelimit-limit-${suffix}`] = String(s.limit);
    headers[`x-ratelimit-remaining-${suffix}`] = String(Math.max(0, Math.floor(s.limit - s.used)));
    headers[`x-ratelimit-reset-${suffix}`] = formatReset(s.resetAt - now);
  }
  const budget = tightest('budget', charges, states);
  if (budget !== undefined) headers['x-archway-budget-remaining-usd'] = (Math.max(0, budget.limit - budget.used) / MICRO_USD).toFixed(6);
  return headers;
}
