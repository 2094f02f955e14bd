// What a request costs: the price of the backend that served it (its own `pricing`, else the config's `pricing:` for
// the model's name or the upstream's, else the shipped table), applied to its usage.
import type { Price, Pricing } from '../config/cost-schema.ts';
import type { Usage } from '../providers/adapter.ts';
import { DEFAULT_PRICES, type ListedPrice } from './prices.ts';

/**
 * The listed price of `model`: an exact name, else the longest listed name it starts with followed by "-", so dated
 * snapshots ("gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022") and suffixed ones ("claude-sonnet-4-0") find their family.
 */
export function listedPrice(model: string, table: Readonly<Record<string, ListedPrice>> = DEFAULT_PRICES): ListedPrice | undefined {
  const exact = table[model];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const name of Object.keys(table)) {
    if (model.startsWith(name + '-') && (best === undefined || name.length > best.length)) best = name;
  }
  return best === undefined ? undefined : table[best];
}

/** The price for a backend: its own, else the config's for the client's model name or the upstream's, else the shipped one. */
export function resolvePrice(own: Price | undefined, pricing: Pricing, modelName: string, upstreamModel: string): ListedPrice | undefined {
  if (own !== undefined) return own;
  return pricing[modelName] ?? pricing[upstreamModel] ?? listedPrice(modelName) ?? listedPrice(upstreamModel);
}

const PER_TOKEN = 1e-6;

/** USD for `usage` at `price`. Cached prompt tokens are billed at the cached rate; reasoning tokens are output. */
export function costOf(usage: Usage, price: Price): number {
  return costOfTokens(usage.prompt_tokens, Math.min(usage.cached_tokens ?? 0, usage.prompt_tokens), usage.completion_tokens, price);
}

/** USD for `prompt` input tokens, `cached` of them from the provider's prompt cache, and `completion` output tokens
 *  (fractions allowed: the cost model works with averages). The one billing formula, for metering and the model. */
export function costOfTokens(prompt: number, cached: number, completion: number, price: Price): number {
  return ((prompt - cached) * price.input + cached * (price.cached_input ?? price.input) + completion * price.output) * PER_TOKEN;
}

/** USD for at most `promptTokens` in and `maxOutputTokens` out: what a budget reserves before the call. */
export function worstCaseCost(promptTokens: number, maxOutputTokens: number, price: Price): number {
  return (promptTokens * price.input + maxOutputTokens * price.output) * PER_TOKEN;
}
