// `archway cost-model SCENARIO.yaml` and `archway cost-model --from-logs [--days N]`: a month's cost per model, from
// expected volume (a scenario file, examples/cost-scenario.yaml) or from the traffic of the last N days.
import { readFile } from 'node:fs/promises';
import type { Config } from '../../config/schema.ts';
import { resolvePrice } from '../../metering/pricing.ts';
import { PRICES_TAKEN_ON } from '../../metering/prices.ts';
import { SqliteUsageStore } from '../../stores/sqlite/usage-store.ts';
import { utcDay } from '../../stores/usage-store.ts';
import { computeCost, type CostInputs } from '../../cost-model/compute.ts';
import { inputsFromUsage, type PriceFound } from '../../cost-model/from-logs.ts';
import { parseScenario } from '../../cost-model/parse-scenario.ts';
import { costTableJson, costTableText } from '../../cost-model/render.ts';
import { CommandFailed, parseCommandLine, UsageError } from '../usage-error.ts';
import { daysOption, openDataDatabase } from '../data-directory.ts';

const DAY_MS = 86_400_000;
const DAYS_PER_MONTH = 30;
const USAGE = 'usage: archway cost-model SCENARIO.yaml [--json] | cost-model --from-logs [--days N] [--json]   (examples/cost-scenario.yaml is an example scenario)';

export async function costModelCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'from-logs': { type: 'boolean' },
      days: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
    },
  });
  let inputs: CostInputs;
  if (values['from-logs']) {
    if (positionals.length > 0) throw new UsageError(`give a scenario file or --from-logs, not both\n${USAGE}`);
    inputs = await inputsFromLogs(values.config, daysOption(values.days, 30));
  } else {
    if (positionals.length !== 1) throw new UsageError(USAGE);
    if (values.days !== undefined) throw new UsageError(`--days is for --from-logs\n${USAGE}`);
    inputs = await readScenario(positionals[0]!);
  }
  const table = computeCost(inputs);
  process.stdout.write(values.json ? costTableJson(table) : costTableText(table));
}

async function readScenario(path: string): Promise<CostInputs> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the scenario ${path}: ${(err as Error).message}`);
  }
  // A scenario to fix is a ScenarioError, which the CLI reports like a config's: exit 2, every problem with its path.
  return parseScenario(text, path);
}

async function inputsFromLogs(configFlag: string | undefined, days: number): Promise<CostInputs> {
  const { config, db } = await openDataDatabase(configFlag);
  try {
    const now = Date.now();
    const today = utcDay(now);
    // The last N UTC days, today included.
    const since = utcDay(now - (days - 1) * DAY_MS);
    const store = new SqliteUsageStore(db);
    const byDay = await store.usage({ since, groupBy: ['day'] });
    const byModel = await store.usage({ since, groupBy: ['model'] });
    const firstDay = byDay[0]?.day;
    // A gateway that started three days ago has three days of traffic, not N: the rate is over the days since then.
    const observedDays = firstDay === undefined ? 0 : Math.round((Date.parse(today) - Date.parse(firstDay)) / DAY_MS) + 1;
    const inputs =
      firstDay === undefined
        ? undefined
        : inputsFromUsage(byModel, { days: observedDays, firstDay, lastDay: today, daysPerMonth: DAYS_PER_MONTH }, (model) => priceFromConfig(config, model));
    if (inputs === undefined) {
      throw new CommandFailed(`no answered requests in the last ${days} day${days === 1 ? '' : 's'} (since ${since}, UTC): nothing to project from; try more --days, or model a scenario file`);
    }
    return inputs;
  } finally {
    db.close();
  }
}

/** The price the gateway bills a model at: its first backend's (by priority), else the config's, else the shipped table. */
function priceFromConfig(config: Config, model: string): PriceFound | undefined {
  const route = config.models[model];
  const first = route === undefined ? undefined : [...route.backends].sort((a, b) => a.priority - b.priority)[0];
  const upstream = first?.model ?? model;
  const price = resolvePrice(first?.pricing, config.pricing, model, upstream);
  if (price === undefined) return undefined;
  const configured = (first?.pricing ?? config.pricing[model] ?? config.pricing[upstream]) !== undefined;
  const { input, output, cached_input } = price;
  return { price: cached_input === undefined ? { input, output } : { input, output, cached_input }, source: configured ? 'config' : `shipped ${PRICES_TAKEN_ON}` };
}
