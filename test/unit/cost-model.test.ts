// The cost model: a scenario file parsed (defaults, and every mistake named by its path), and its monthly table
// checked against numbers worked out by hand below, not recomputed with the code under test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { computeCost } from '../../src/cost-model/compute.ts';
import { parseScenario, ScenarioError } from '../../src/cost-model/parse-scenario.ts';
import { inputsFromUsage } from '../../src/cost-model/from-logs.ts';
import type { UsageRow } from '../../src/stores/usage-store.ts';
import { assertMatchesHandCalculation, near, SAMPLE_SCENARIO } from '../helpers/cost-sample.ts';

function problems(yaml: string): { path: string; message: string }[] {
  try {
    parseScenario(yaml, 'test.yaml');
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('the scenario was accepted');
}

describe('cost model: the sample scenario', () => {
  it('matches the hand calculation', () => {
    assertMatchesHandCalculation(computeCost(parseScenario(readFileSync(SAMPLE_SCENARIO, 'utf8'), 'cost-scenario.yaml')));
  });

  it('takes shipped prices from the table and says so, and the scenario’s own where given', () => {
    const inputs = parseScenario(readFileSync(SAMPLE_SCENARIO, 'utf8'), 'cost-scenario.yaml');
    assert.deepEqual(inputs.models[0]!.price, { input: 0.15, cached_input: 0.075, output: 0.6 });
    assert.match(inputs.models[0]!.price_source, /^shipped \d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(inputs.models[2]!.price, { input: 0.3, output: 1.2 });
    assert.equal(inputs.models[2]!.price_source, 'scenario');
  });
});

describe('cost model: scenarios', () => {
  it('fills in the defaults: 30 days, no cache hits, peak_factor 2, the top-level tokens', () => {
    const inputs = parseScenario(
      'requests_per_day: 1000\ninput_tokens: 100\noutput_tokens: 50\nmodels: [{ model: gpt-4o-mini, share: 1 }]\nprovisioned: { units: 1, unit_monthly_usd: 10, tokens_per_minute_per_unit: 1000 }\n',
      'test.yaml',
    );
    assert.equal(inputs.days_per_month, 30);
    assert.equal(inputs.requests_per_day, 1000);
    assert.deepEqual(inputs.models[0], {
      model: 'gpt-4o-mini',
      share: 1,
      input_tokens: 100,
      output_tokens: 50,
      cached_input_share: 0,
      cache_hit_rate: 0,
      price: { input: 0.15, cached_input: 0.075, output: 0.6 },
      price_source: inputs.models[0]!.price_source,
    });
    assert.deepEqual(inputs.provisioned, { model: null, units: 1, unit_monthly_usd: 10, tokens_per_minute_per_unit: 1000, peak_factor: 2 });
    // 1,000 × 30 = 30,000 requests × (100 × 0.15 + 50 × 0.6) / 1M = 30,000 × 0.000045 = 1.35 USD.
    // Whole mix provisioned: 30,000 × 150 tokens / 43,200 minutes = 104.1666… TPM, × 2 = 208.33… at peak: 1 unit.
    const table = computeCost(inputs);
    near(table.total.pay_as_you_go_usd, 1.35, 'pay-as-you-go');
    near(table.provisioned!.peak_tpm, 4_500_000 / 21_600, 'peak TPM');
    assert.equal(table.provisioned!.units_needed, 1);
    near(table.provisioned!.saving_usd, 1.35 - 10, 'saving (negative: provisioned costs more)');
  });

  it('a commitment too small for the peak does not fit, and says how many units it needs', () => {
    // 10,000 × 30 × 1,000 tokens = 300,000,000 a month / 43,200 = 6,944.4… TPM; × 3 = 20,833.3… → 5 units of 5,000.
    const table = computeCost(
      parseScenario(
        'requests_per_day: 10000\ninput_tokens: 800\noutput_tokens: 200\nmodels: [{ model: gpt-4o, share: 1 }]\nprovisioned: { model: gpt-4o, units: 2, unit_monthly_usd: 100, tokens_per_minute_per_unit: 5000, peak_factor: 3 }\n',
        'test.yaml',
      ),
    );
    assert.equal(table.provisioned!.units_needed, 5);
    assert.equal(table.provisioned!.fits, false);
  });

  it('names the path of each problem, and says what to do', () => {
    assert.deepEqual(problems('requests_per_day: 10\ninput_tokens: 1\noutput_tokens: 1\nmodels:\n  - { model: gpt-4o, share: 0.5 }\n  - { model: gpt-4o-mini, share: 0.4 }\n'), [
      { path: 'models', message: 'the shares must add up to 1; they add up to 0.9 (gpt-4o 0.5 + gpt-4o-mini 0.4)' },
    ]);
    const unknown = problems('requests_per_day: 10\ninput_tokens: 1\noutput_tokens: 1\nmodels: [{ model: in-house-llm, share: 1 }]\n');
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0]!.path, 'models[0].price');
    assert.match(unknown[0]!.message, /"in-house-llm" is not in the shipped price table.*add price: \{ input: …, output: … \}/);
    assert.deepEqual(problems('requests_per_day: 10\nusers: 5\nrequests_per_user_per_day: 2\ninput_tokens: 1\noutput_tokens: 1\nmodels: [{ model: gpt-4o, share: 1 }]\n'), [
      { path: 'requests_per_day', message: 'give either requests_per_day or users with requests_per_user_per_day, not both' },
    ]);
    assert.deepEqual(problems('users: 5\ninput_tokens: 1\noutput_tokens: 1\nmodels: [{ model: gpt-4o, share: 1 }]\n'), [
      { path: 'requests_per_user_per_day', message: 'is required with users' },
    ]);
    assert.deepEqual(problems('requests_per_day: 10\ninput_tokens: 1\nmodels: [{ model: gpt-4o, share: 1 }]\n'), [
      { path: 'models[0].output_tokens', message: 'is required: give it here, or output_tokens at the top level for every model' },
    ]);
    assert.deepEqual(problems('requests_per_day: 10\ninput_tokens: 1\noutput_tokens: 1\nmodels: [{ model: gpt-4o, share: 0.5 }, { model: gpt-4o, share: 0.5 }]\n'), [
      { path: 'models[1].model', message: '"gpt-4o" is listed twice; give each model once with its whole share' },
    ]);
    assert.deepEqual(
      problems('requests_per_day: 10\ninput_tokens: 1\noutput_tokens: 1\nmodels: [{ model: gpt-4o, share: 1 }]\nprovisioned: { model: gpt-5, units: 1, unit_monthly_usd: 1, tokens_per_minute_per_unit: 1 }\n'),
      [{ path: 'provisioned.model', message: '"gpt-5" is not one of the models (gpt-4o); leave it out for a commitment serving the whole mix' }],
    );
    // Schema problems, with the config's wording.
    assert.deepEqual(problems('requests_per_day: 10\ncache_hit_rate: 1.5\ninput_tokens: 1\noutput_tokens: 1\nmodels: [{ model: gpt-4o, share: 1, shar: 1 }]\n'), [
      { path: 'cache_hit_rate', message: 'must be <= 1' },
      { path: 'models[0].shar', message: 'is not a known field (check the spelling)' },
    ]);
    assert.deepEqual(problems('requests_per_day: [1\n').map((p) => p.path), ['']);
  });
});

describe('cost model: inputs from observed usage', () => {
  const row = (model: string | null, fields: Partial<UsageRow>): UsageRow => ({
    model,
    requests: 0,
    errors: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    cached_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: 0,
    cache_hits: 0,
    saved_usd: 0,
    ...fields,
  });

  it('averages per answered request, and leaves failed ones out', () => {
    // gpt-4o-mini: 110 requests, 10 failed → 100 answered; 50,000 in (10,000 cached), 20,000 out, 25 cache hits.
    // gpt-4o: 300 answered; 600,000 in, 90,000 out.  400 answered over 4 days = 100 a day.
    const inputs = inputsFromUsage(
      [
        row('gpt-4o-mini', { requests: 110, errors: 10, prompt_tokens: 50_000, completion_tokens: 20_000, cached_tokens: 10_000, cache_hits: 25, cost_usd: 0.5 }),
        row('gpt-4o', { requests: 300, prompt_tokens: 600_000, completion_tokens: 90_000, cost_usd: 2.4 }),
        row(null, { requests: 7, errors: 7 }),
      ],
      { days: 4, firstDay: '2026-03-01', lastDay: '2026-03-04', daysPerMonth: 30 },
      (model) => (model === 'gpt-4o' ? { price: { input: 2.5, output: 10 }, source: 'config' } : undefined),
    );
    assert.ok(inputs !== undefined);
    assert.equal(inputs.requests_per_day, 100);
    const [mini, big] = inputs.models;
    assert.deepEqual(
      { share: mini!.share, input: mini!.input_tokens, output: mini!.output_tokens, cached: mini!.cached_input_share, hits: mini!.cache_hit_rate, source: mini!.price_source },
      { share: 0.25, input: 500, output: 200, cached: 0.2, hits: 0.25, source: 'no price known' },
    );
    assert.deepEqual({ share: big!.share, input: big!.input_tokens, output: big!.output_tokens }, { share: 0.75, input: 2000, output: 300 });
    assert.match(inputs.notes.join('\n'), /no price is known for "gpt-4o-mini": projected at 0 USD; add it under pricing: in the config/);
    assert.match(inputs.notes.join('\n'), /17 failed requests left out; 7 requests naming no model left out/);
    // 2.9 USD logged over 4 days → 0.725 a day → 21.75 a month.
    assert.match(inputs.notes.join('\n'), /spent in those days, as logged: 2\.90 USD, 21\.75 USD a month at that rate/);
  });

  it('nothing answered: nothing to project', () => {
    assert.equal(inputsFromUsage([row('gpt-4o', { requests: 3, errors: 3 })], { days: 1, firstDay: '2026-03-01', lastDay: '2026-03-01', daysPerMonth: 30 }, () => undefined), undefined);
  });
});
