// `archway cost-model --from-logs`: the cost model's inputs read off observed traffic (the daily usage roll-up) instead
// of a scenario file, so the month ahead is projected with the same arithmetic. Per model, over the days observed:
//
//   answered          = requests − errors         (a failed request is not paid for, and is not projected)
//   requests/day      = Σ answered / days observed
//   share             = answered / Σ answered
//   tokens/request    = prompt (completion) tokens / answered   (a gateway cache hit carries the usage of the
//                                                                 answer it served, so it averages like the others)
//   cached input      = cached tokens / prompt tokens             (the provider's prompt cache)
//   cache hit rate    = cache hits / answered                     (the gateway's cache)
import type { Price } from '../config/cost-schema.ts';
import type { UsageRow } from '../stores/usage-store.ts';
import type { CostInputs, ModelInputs } from './compute.ts';
import { formatUsd } from './text-table.ts';

export interface PriceFound {
  readonly price: Price;
  readonly source: string;
}

export interface ObservedWindow {
  /** Days the traffic is spread over (the rate is per day of this). */
  readonly days: number;
  readonly firstDay: string;
  readonly lastDay: string;
  readonly daysPerMonth: number;
}

/**
 * The inputs projecting `rows` (usage grouped by model) over a month, or undefined when nothing was answered.
 * `priceOf` finds a model's price; a model without one is projected at 0 USD, with a note saying so.
 */
export function inputsFromUsage(rows: readonly UsageRow[], window: ObservedWindow, priceOf: (model: string) => PriceFound | undefined): CostInputs | undefined {
  const observed = rows.filter((r): r is UsageRow & { model: string } => typeof r.model === 'string' && r.requests - r.errors > 0);
  const answered = observed.reduce((acc, r) => acc + (r.requests - r.errors), 0);
  if (answered === 0) return undefined;
  const notes: string[] = [];
  const models: ModelInputs[] = observed.map((r) => {
    const n = r.requests - r.errors;
    const found = priceOf(r.model);
    if (found === undefined) notes.push(`no price is known for "${r.model}": projected at 0 USD; add it under pricing: in the config`);
    return {
      model: r.model,
      share: n / answered,
      input_tokens: r.prompt_tokens / n,
      output_tokens: r.completion_tokens / n,
      cached_input_share: r.prompt_tokens > 0 ? Math.min(1, r.cached_tokens / r.prompt_tokens) : 0,
      cache_hit_rate: Math.min(1, r.cache_hits / n),
      price: found?.price ?? { input: 0, output: 0 },
      price_source: found?.source ?? 'no price known',
    };
  });
  const errors = rows.reduce((acc, r) => acc + r.errors, 0);
  const spent = rows.reduce((acc, r) => acc + r.cost_usd, 0);
  const unnamed = rows.filter((r) => typeof r.model !== 'string').reduce((acc, r) => acc + r.requests, 0);
  notes.push(
    `projected from ${answered} answered requests over ${window.days} day${window.days === 1 ? '' : 's'} (${window.firstDay} to ${window.lastDay}, UTC)` +
      (errors > 0 ? `; ${errors} failed requests left out` : '') +
      (unnamed > 0 ? `; ${unnamed} requests naming no model left out` : ''),
    `spent in those days, as logged: ${formatUsd(spent)} USD, ${formatUsd((spent / window.days) * window.daysPerMonth)} USD a month at that rate`,
  );
  return {
    name: `observed traffic, ${window.firstDay} to ${window.lastDay}`,
    days_per_month: window.daysPerMonth,
    requests_per_day: answered / window.days,
    models,
    provisioned: null,
    notes,
  };
}
