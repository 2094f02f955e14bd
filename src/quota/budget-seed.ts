// After a restart, the process's own budget counters start from what was spent so far this period, read from the
// daily usage roll-up (durable with the request log). Shared counters (Redis) need no seed: they outlive a replica.
import { BUDGET_PERIODS } from '../config/cost-schema.ts';
import type { QuotaWindow } from '../stores/quota-store.ts';
import { utcDay, type UsageGroup, type UsageRow, type UsageStore } from '../stores/usage-store.ts';
import { periodBounds } from './budget-period.ts';
import { budgetCounterKey, MICRO_USD, type QuotaScope } from './quota-plan.ts';

export interface BudgetSeed {
  readonly key: string;
  readonly window: QuotaWindow;
  readonly used: number;
  readonly at: number;
}

const GROUPS: readonly [UsageGroup, QuotaScope, (row: UsageRow) => string | null | undefined][] = [
  ['key', 'key', (r) => r.key_id],
  ['team', 'team', (r) => r.team_id],
  ['model', 'model', (r) => r.model],
];

export async function budgetSeeds(usage: UsageStore, now: number): Promise<BudgetSeed[]> {
  const seeds: BudgetSeed[] = [];
  for (const period of BUDGET_PERIODS) {
    const { start, end } = periodBounds(period, now);
    for (const [group, scope, idOf] of GROUPS) {
      for (const row of await usage.usage({ since: utcDay(start), groupBy: [group] })) {
        const id = idOf(row);
        if (!id || row.cost_usd <= 0) continue;
        seeds.push({ key: budgetCounterKey(scope, id, period), window: { kind: 'fixed', start, end }, used: Math.ceil(row.cost_usd * MICRO_USD), at: now });
      }
    }
  }
  return seeds;
}
