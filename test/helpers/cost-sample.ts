// The sample scenario (examples/cost-scenario.yaml) worked out by hand, for the unit test of the cost model and the
// test of `archway cost-model` to check the table against: the figures are written out, not computed by the code.
import assert from 'node:assert/strict';
import type { CostTable } from '../../src/cost-model/compute.ts';

/** Equal but for floating-point noise (a relative 1e-8), so the hand figures can be written as exact decimals. */
export function near(actual: number | null | undefined, expected: number, what: string): void {
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= 1e-8 * Math.max(1, Math.abs(expected)), `${what}: expected ${expected}, got ${actual}`);
}

export const SAMPLE_SCENARIO = new URL('../../examples/cost-scenario.yaml', import.meta.url);

/**
 * The sample worked by hand.
 *
 * Volume: 2,000 users × 10 requests = 20,000 requests/day; × 30 days = 600,000 requests/month. Cache hit rate 20 %.
 *
 * gpt-4o-mini: share 0.7, 1,500 in / 300 out, half the input from the prompt cache; shipped price 0.15 in,
 *   0.075 cached in, 0.6 out (USD per 1M tokens).
 *   requests 600,000 × 0.7 = 420,000; hits 84,000; upstream 336,000
 *   tokens in 420,000 × 1,500 = 630,000,000; out 420,000 × 300 = 126,000,000
 *   per request: 750 × 0.15 + 750 × 0.075 + 300 × 0.6 = 112.5 + 56.25 + 180 = 348.75 per 1M → 0.00034875 USD
 *   pay-as-you-go 336,000 × 0.00034875 = 117.18; cache saves 84,000 × 0.00034875 = 29.295
 * gpt-4o: share 0.25, 3,000 in / 600 out; shipped price 2.5 in, 10 out.
 *   requests 150,000; hits 30,000; upstream 120,000
 *   tokens in 450,000,000; out 90,000,000
 *   per request: 3,000 × 2.5 + 600 × 10 = 7,500 + 6,000 = 13,500 per 1M → 0.0135 USD
 *   pay-as-you-go 120,000 × 0.0135 = 1,620; cache saves 30,000 × 0.0135 = 405
 * support-finetune: share 0.05, 1,500 in / 300 out; the scenario's price 0.3 in, 1.2 out.
 *   requests 30,000; hits 6,000; upstream 24,000
 *   tokens in 45,000,000; out 9,000,000
 *   per request: 1,500 × 0.3 + 300 × 1.2 = 450 + 360 = 810 per 1M → 0.00081 USD
 *   pay-as-you-go 24,000 × 0.00081 = 19.44; cache saves 6,000 × 0.00081 = 4.86
 * Total: requests 600,000; upstream 480,000; hits 120,000; tokens in 1,125,000,000, out 225,000,000;
 *   pay-as-you-go 117.18 + 1,620 + 19.44 = 1,756.62; cache saves 29.295 + 405 + 4.86 = 439.155
 *
 * Provisioned for gpt-4o: 4 units × 5,000 TPM = 20,000 TPM at 4 × 350 = 1,400 USD/month.
 *   upstream tokens 120,000 × (3,000 + 600) = 432,000,000 a month; minutes 30 × 1,440 = 43,200
 *   average 432,000,000 / 43,200 = 10,000 TPM; peak × 2 = 20,000 TPM → 20,000 / 5,000 = 4 units: fits
 *   pay-as-you-go for it 1,620 → provisioned saves 220
 *   average use 10,000 / 20,000 = 0.5; at most 1 / 2 = 0.5
 *   break-even: 1,620 / 432,000,000 = 3.75 USD per 1M tokens; the whole capacity, 20,000 × 43,200 = 864,000,000
 *   tokens, costs 3,240 pay-as-you-go → 1,400 / 3,240 = 0.4320987654…; in volume, 5,000 gpt-4o requests/day ×
 *   1,400 / 1,620 = 4,320.987654… requests/day
 */
export const SAMPLE_BY_HAND = {
  models: {
    'gpt-4o-mini': { requests: 420_000, hits: 84_000, upstream: 336_000, input: 630_000_000, output: 126_000_000, perRequest: 0.00034875, payg: 117.18, saves: 29.295 },
    'gpt-4o': { requests: 150_000, hits: 30_000, upstream: 120_000, input: 450_000_000, output: 90_000_000, perRequest: 0.0135, payg: 1620, saves: 405 },
    'support-finetune': { requests: 30_000, hits: 6_000, upstream: 24_000, input: 45_000_000, output: 9_000_000, perRequest: 0.00081, payg: 19.44, saves: 4.86 },
  },
  total: { requests: 600_000, hits: 120_000, upstream: 480_000, input: 1_125_000_000, output: 225_000_000, payg: 1756.62, saves: 439.155 },
  provisioned: {
    capacity: 20_000,
    tokens: 432_000_000,
    average: 10_000,
    peak: 20_000,
    unitsNeeded: 4,
    usd: 1400,
    payg: 1620,
    saving: 220,
    averageUse: 0.5,
    maxAverageUse: 0.5,
    breakEvenUse: 1400 / 3240,
    breakEvenRequestsPerDay: (5000 * 1400) / 1620,
  },
} as const;

/** Checks a cost table (as computed, or as the CLI's --json printed it) against the hand calculation above. */
export function assertMatchesHandCalculation(table: CostTable): void {
  assert.equal(table.requests_per_day, 20_000);
  assert.equal(table.days_per_month, 30);
  assert.deepEqual(table.models.map((m) => m.model), ['gpt-4o-mini', 'gpt-4o', 'support-finetune']);
  for (const m of table.models) {
    const hand = SAMPLE_BY_HAND.models[m.model as keyof typeof SAMPLE_BY_HAND.models];
    near(m.requests_per_month, hand.requests, `${m.model} requests`);
    near(m.cache_hits_per_month, hand.hits, `${m.model} cache hits`);
    near(m.upstream_requests_per_month, hand.upstream, `${m.model} upstream requests`);
    near(m.input_tokens_per_month, hand.input, `${m.model} input tokens`);
    near(m.output_tokens_per_month, hand.output, `${m.model} output tokens`);
    near(m.usd_per_request, hand.perRequest, `${m.model} USD per request`);
    near(m.pay_as_you_go_usd, hand.payg, `${m.model} pay-as-you-go`);
    near(m.cache_savings_usd, hand.saves, `${m.model} cache savings`);
  }
  const t = SAMPLE_BY_HAND.total;
  near(table.total.requests_per_month, t.requests, 'total requests');
  near(table.total.cache_hits_per_month, t.hits, 'total cache hits');
  near(table.total.upstream_requests_per_month, t.upstream, 'total upstream requests');
  near(table.total.input_tokens_per_month, t.input, 'total input tokens');
  near(table.total.output_tokens_per_month, t.output, 'total output tokens');
  near(table.total.pay_as_you_go_usd, t.payg, 'total pay-as-you-go');
  near(table.total.cache_savings_usd, t.saves, 'total cache savings');
  const p = table.provisioned;
  const hand = SAMPLE_BY_HAND.provisioned;
  assert.ok(p !== null);
  assert.equal(p.model, 'gpt-4o');
  near(p.capacity_tpm, hand.capacity, 'capacity');
  near(p.upstream_tokens_per_month, hand.tokens, 'provisioned tokens');
  near(p.average_tpm, hand.average, 'average TPM');
  near(p.peak_tpm, hand.peak, 'peak TPM');
  assert.equal(p.units_needed, hand.unitsNeeded);
  assert.equal(p.fits, true);
  near(p.provisioned_usd, hand.usd, 'provisioned USD');
  near(p.pay_as_you_go_usd, hand.payg, 'pay-as-you-go of the covered traffic');
  near(p.saving_usd, hand.saving, 'saving');
  near(p.average_use, hand.averageUse, 'average use');
  near(p.max_average_use, hand.maxAverageUse, 'max average use');
  near(p.break_even_use, hand.breakEvenUse, 'break-even use');
  near(p.break_even_requests_per_day, hand.breakEvenRequestsPerDay, 'break-even requests/day');
}
