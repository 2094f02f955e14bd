// The cost model's arithmetic: expected volume and model mix in, a month's cost per model out, and a provisioned
// commitment weighed against pay-as-you-go. Pure and deterministic: a scenario file and `--from-logs` both come
// here, and the test checks it against numbers worked out by hand.
//
// Per model m, with R requests a day, D days a month, price p (USD per 1M tokens):
//   requests/month        n   = R × D × share(m)
//   cache hits/month      h   = n × cache_hit_rate(m)                    the gateway answers these: nothing upstream
//   upstream requests     u   = n − h
//   input, output tokens  n × input_tokens, n × output_tokens           demand, before the gateway cache
//   USD per upstream req  c   = (in × (1 − s) × p.input + in × s × p.cached_input + out × p.output) / 1e6
//                                where s = cached_input_share (the provider's prompt cache), p.cached_input defaults to p.input
//   pay-as-you-go         u × c
//   cache savings         h × c                                           what the hits would have cost upstream
//
// Provisioned (for one model, or the whole mix when it names none): capacity is counted in tokens in and out per
// minute, whatever the provider's prompt cache does, and it must carry the busiest minute, not the average one:
//   upstream tokens       T   = Σ u × (input_tokens + output_tokens)
//   average TPM               = T / (D × 1440)
//   peak TPM                  = average TPM × peak_factor
//   units needed              = ⌈peak TPM / tokens_per_minute_per_unit⌉
//   provisioned USD           = units × unit_monthly_usd                  paid whether used or not
//   break-even use            = provisioned USD / (pay-as-you-go USD of the whole capacity, every minute of the month)
//   break-even requests/day   = covered requests/day × provisioned USD / pay-as-you-go USD of the covered traffic
import type { Price } from '../config/cost-schema.ts';
import { costOfTokens } from '../metering/pricing.ts';

const MINUTES_PER_DAY = 1440;

/** One model of the mix, every default resolved. */
export interface ModelInputs {
  readonly model: string;
  readonly share: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cached_input_share: number;
  readonly cache_hit_rate: number;
  readonly price: Price;
  /** Where the price came from, for the reader to check: "scenario", "shipped 2025-08-01", "config"… */
  readonly price_source: string;
}

export interface ProvisionedInputs {
  /** null: the commitment serves the whole mix. */
  readonly model: string | null;
  readonly units: number;
  readonly unit_monthly_usd: number;
  readonly tokens_per_minute_per_unit: number;
  readonly peak_factor: number;
}

/** A scenario with every default and price resolved: what the arithmetic needs and nothing else. */
export interface CostInputs {
  readonly name: string | null;
  readonly days_per_month: number;
  readonly requests_per_day: number;
  readonly models: readonly ModelInputs[];
  readonly provisioned: ProvisionedInputs | null;
  /** Things the reader should know about the inputs (a model without a price, how --from-logs derived them). */
  readonly notes: readonly string[];
}

export interface VolumeTotals {
  readonly requests_per_month: number;
  readonly input_tokens_per_month: number;
  readonly output_tokens_per_month: number;
  readonly cache_hits_per_month: number;
  readonly upstream_requests_per_month: number;
  readonly pay_as_you_go_usd: number;
  readonly cache_savings_usd: number;
}

export interface ModelCost extends VolumeTotals {
  readonly model: string;
  readonly share: number;
  readonly input_tokens_per_request: number;
  readonly output_tokens_per_request: number;
  readonly cached_input_share: number;
  readonly cache_hit_rate: number;
  /** One upstream request at this price. */
  readonly usd_per_request: number;
  readonly price: Price;
  readonly price_source: string;
}

export interface ProvisionedComparison extends ProvisionedInputs {
  readonly capacity_tpm: number;
  /** Requests a day to the covered models, gateway cache hits included. */
  readonly covered_requests_per_day: number;
  /** Tokens in and out of the covered models' upstream requests (gateway cache hits excluded). */
  readonly upstream_tokens_per_month: number;
  readonly average_tpm: number;
  readonly peak_tpm: number;
  readonly units_needed: number;
  /** Whether the units carry the peak. */
  readonly fits: boolean;
  readonly provisioned_usd: number;
  /** The same traffic at list price. */
  readonly pay_as_you_go_usd: number;
  /** Pay-as-you-go minus provisioned: positive when the commitment is cheaper. */
  readonly saving_usd: number;
  /** Average TPM over capacity. */
  readonly average_use: number;
  /** The highest average use the units can have when they must carry peaks: 1 / peak_factor. */
  readonly max_average_use: number;
  /** The average use above which the commitment is cheaper; null when the covered traffic costs nothing. */
  readonly break_even_use: number | null;
  /** Requests a day to the covered models at which both cost the same; null when they cost nothing. */
  readonly break_even_requests_per_day: number | null;
}

export interface CostTable {
  readonly name: string | null;
  readonly days_per_month: number;
  readonly requests_per_day: number;
  readonly models: readonly ModelCost[];
  readonly total: VolumeTotals;
  readonly provisioned: ProvisionedComparison | null;
  readonly notes: readonly string[];
}

function modelCost(m: ModelInputs, requestsPerMonth: number): ModelCost {
  const requests = requestsPerMonth * m.share;
  const hits = requests * m.cache_hit_rate;
  const upstream = requests - hits;
  const perRequest = costOfTokens(m.input_tokens, m.input_tokens * m.cached_input_share, m.output_tokens, m.price);
  return {
    model: m.model,
    share: m.share,
    input_tokens_per_request: m.input_tokens,
    output_tokens_per_request: m.output_tokens,
    cached_input_share: m.cached_input_share,
    cache_hit_rate: m.cache_hit_rate,
    requests_per_month: requests,
    input_tokens_per_month: requests * m.input_tokens,
    output_tokens_per_month: requests * m.output_tokens,
    cache_hits_per_month: hits,
    upstream_requests_per_month: upstream,
    usd_per_request: perRequest,
    pay_as_you_go_usd: upstream * perRequest,
    cache_savings_usd: hits * perRequest,
    price: m.price,
    price_source: m.price_source,
  };
}

function sum(rows: readonly VolumeTotals[]): VolumeTotals {
  const total = (field: keyof VolumeTotals) => rows.reduce((acc, r) => acc + r[field], 0);
  return {
    requests_per_month: total('requests_per_month'),
    input_tokens_per_month: total('input_tokens_per_month'),
    output_tokens_per_month: total('output_tokens_per_month'),
    cache_hits_per_month: total('cache_hits_per_month'),
    upstream_requests_per_month: total('upstream_requests_per_month'),
    pay_as_you_go_usd: total('pay_as_you_go_usd'),
    cache_savings_usd: total('cache_savings_usd'),
  };
}

function compareProvisioned(p: ProvisionedInputs, rows: readonly ModelCost[], inputs: CostInputs): ProvisionedComparison {
  const covered = p.model === null ? rows : rows.filter((r) => r.model === p.model);
  const tokens = covered.reduce((acc, r) => acc + r.upstream_requests_per_month * (r.input_tokens_per_request + r.output_tokens_per_request), 0);
  const payg = covered.reduce((acc, r) => acc + r.pay_as_you_go_usd, 0);
  const minutes = inputs.days_per_month * MINUTES_PER_DAY;
  const capacity = p.units * p.tokens_per_minute_per_unit;
  const average = tokens / minutes;
  const peak = average * p.peak_factor;
  // A hair below the integer first, so 20000 TPM over 5000-TPM units is 4 units even after floating-point noise.
  const unitsNeeded = Math.max(0, Math.ceil(peak / p.tokens_per_minute_per_unit - 1e-9));
  const provisioned = p.units * p.unit_monthly_usd;
  const coveredRequestsPerDay = inputs.requests_per_day * covered.reduce((acc, r) => acc + r.share, 0);
  // Pay-as-you-go of the covered traffic scales with its volume; at this many times today's volume both cost the same.
  const breakEvenScale = payg > 0 ? provisioned / payg : null;
  const usdPerToken = tokens > 0 ? payg / tokens : 0;
  return {
    ...p,
    capacity_tpm: capacity,
    covered_requests_per_day: coveredRequestsPerDay,
    upstream_tokens_per_month: tokens,
    average_tpm: average,
    peak_tpm: peak,
    units_needed: unitsNeeded,
    fits: p.units >= unitsNeeded,
    provisioned_usd: provisioned,
    pay_as_you_go_usd: payg,
    saving_usd: payg - provisioned,
    average_use: average / capacity,
    max_average_use: 1 / p.peak_factor,
    break_even_use: usdPerToken > 0 ? provisioned / (capacity * minutes * usdPerToken) : null,
    break_even_requests_per_day: breakEvenScale === null ? null : coveredRequestsPerDay * breakEvenScale,
  };
}

export function computeCost(inputs: CostInputs): CostTable {
  const requestsPerMonth = inputs.requests_per_day * inputs.days_per_month;
  const models = inputs.models.map((m) => modelCost(m, requestsPerMonth));
  return {
    name: inputs.name,
    days_per_month: inputs.days_per_month,
    requests_per_day: inputs.requests_per_day,
    models,
    total: sum(models),
    provisioned: inputs.provisioned === null ? null : compareProvisioned(inputs.provisioned, models, inputs),
    notes: inputs.notes,
  };
}
