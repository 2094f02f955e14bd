// A scenario file to the cost model's inputs: YAML parsed, checked against the schema (defaults filled in), then the
// rules a schema cannot say (shares that add up to 1, one way of giving the volume, a price for every model), each
// problem named by its path like the config's.
import { parseDocument } from 'yaml';
import type { Price } from '../config/cost-schema.ts';
import { listedPrice } from '../metering/pricing.ts';
import { PRICES_TAKEN_ON } from '../metering/prices.ts';
import { compile, type ValidationProblem } from '../validation/compile.ts';
import { ConfigError } from '../config/config-error.ts';
import type { CostInputs, ModelInputs } from './compute.ts';
import { ScenarioSchema, type ScenarioFile } from './scenario-schema.ts';

const validateScenario = compile<ScenarioFile>(ScenarioSchema);

/** Shares are decimals people type (0.7, 0.2, 0.1); their sum may be off by rounding, never by more than this. */
const SHARE_TOLERANCE = 1e-6;

/** A scenario to fix: the config's error (every problem with its path; the CLI exits 2), naming a scenario. */
export class ScenarioError extends ConfigError {
  constructor(source: string, problems: readonly ValidationProblem[]) {
    super(source, problems, 'scenario');
    this.name = 'ScenarioError';
  }
}

/** The scenario in `text` (YAML), resolved; throws a ScenarioError listing every problem. */
export function parseScenario(text: string, source: string): CostInputs {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(source, doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}` })));
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (!validateScenario(raw)) throw new ScenarioError(source, validateScenario.errors());
  const problems: ValidationProblem[] = [];
  const inputs = resolve(raw, problems);
  if (problems.length > 0 || inputs === undefined) throw new ScenarioError(source, problems);
  return inputs;
}

function requestsPerDay(s: ScenarioFile, problems: ValidationProblem[]): number | undefined {
  const perUser = s.users !== undefined || s.requests_per_user_per_day !== undefined;
  if (s.requests_per_day !== undefined && perUser) {
    problems.push({ path: 'requests_per_day', message: 'give either requests_per_day or users with requests_per_user_per_day, not both' });
    return undefined;
  }
  if (s.requests_per_day !== undefined) return s.requests_per_day;
  if (s.users !== undefined && s.requests_per_user_per_day !== undefined) return s.users * s.requests_per_user_per_day;
  if (s.users !== undefined) problems.push({ path: 'requests_per_user_per_day', message: 'is required with users' });
  else if (s.requests_per_user_per_day !== undefined) problems.push({ path: 'users', message: 'is required with requests_per_user_per_day' });
  else problems.push({ path: 'requests_per_day', message: 'is required (or give users and requests_per_user_per_day)' });
  return undefined;
}

function priceOf(model: string, own: Price | undefined): { price: Price; source: string } | undefined {
  if (own !== undefined) return { price: own, source: 'scenario' };
  const listed = listedPrice(model);
  if (listed === undefined) return undefined;
  const { input, output, cached_input } = listed;
  return { price: cached_input === undefined ? { input, output } : { input, output, cached_input }, source: `shipped ${PRICES_TAKEN_ON}` };
}

function resolve(s: ScenarioFile, problems: ValidationProblem[]): CostInputs | undefined {
  const perDay = requestsPerDay(s, problems);
  const shares = s.models.reduce((acc, m) => acc + m.share, 0);
  if (Math.abs(shares - 1) > SHARE_TOLERANCE) {
    const listed = s.models.map((m) => `${m.model} ${m.share}`).join(' + ');
    problems.push({ path: 'models', message: `the shares must add up to 1; they add up to ${Number(shares.toFixed(6))} (${listed})` });
  }
  const seen = new Set<string>();
  const models: ModelInputs[] = [];
  s.models.forEach((m, i) => {
    const at = `models[${i}]`;
    if (seen.has(m.model)) problems.push({ path: `${at}.model`, message: `"${m.model}" is listed twice; give each model once with its whole share` });
    seen.add(m.model);
    const input = m.input_tokens ?? s.input_tokens;
    const output = m.output_tokens ?? s.output_tokens;
    if (input === undefined) problems.push({ path: `${at}.input_tokens`, message: 'is required: give it here, or input_tokens at the top level for every model' });
    if (output === undefined) problems.push({ path: `${at}.output_tokens`, message: 'is required: give it here, or output_tokens at the top level for every model' });
    const price = priceOf(m.model, m.price);
    if (price === undefined) {
      problems.push({
        path: `${at}.price`,
        message: `is required: "${m.model}" is not in the shipped price table (src/metering/prices.ts); add price: { input: …, output: … } in USD per 1M tokens`,
      });
    }
    if (input === undefined || output === undefined || price === undefined) return;
    models.push({
      model: m.model,
      share: m.share,
      input_tokens: input,
      output_tokens: output,
      cached_input_share: m.cached_input_share ?? 0,
      cache_hit_rate: m.cache_hit_rate ?? s.cache_hit_rate,
      price: price.price,
      price_source: price.source,
    });
  });
  const p = s.provisioned;
  if (p?.model !== undefined && !seen.has(p.model)) {
    problems.push({ path: 'provisioned.model', message: `"${p.model}" is not one of the models (${[...seen].join(', ')}); leave it out for a commitment serving the whole mix` });
  }
  if (perDay === undefined || problems.length > 0) return undefined;
  return {
    name: s.name ?? null,
    days_per_month: s.days_per_month,
    requests_per_day: perDay,
    models,
    provisioned:
      p === undefined
        ? null
        : { model: p.model ?? null, units: p.units, unit_monthly_usd: p.unit_monthly_usd, tokens_per_minute_per_unit: p.tokens_per_minute_per_unit, peak_factor: p.peak_factor },
    notes: [],
  };
}
