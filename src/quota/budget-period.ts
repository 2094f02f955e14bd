// Budget periods are calendar periods in UTC: a day from midnight, a week from Monday, a month from its first day.
// A budget resets at the start of the next one, so "how much is left" and "when it resets" have one answer across
// replicas and restarts (a rolling 30 days would reset a little every moment).
import type { BudgetPeriodName } from '../config/cost-schema.ts';

export interface PeriodBounds {
  /** Epoch ms of the period's first instant. */
  readonly start: number;
  /** Epoch ms of the next period's first instant. */
  readonly end: number;
}

const DAY_MS = 86_400_000;

// The bounds last computed per period: every budgeted request asks, and the answer changes once a day at most.
const latest = new Map<BudgetPeriodName, PeriodBounds>();

export function periodBounds(period: BudgetPeriodName, now: number): PeriodBounds {
  const last = latest.get(period);
  if (last !== undefined && now >= last.start && now < last.end) return last;
  const bounds = computeBounds(period, now);
  latest.set(period, bounds);
  return bounds;
}

function computeBounds(period: BudgetPeriodName, now: number): PeriodBounds {
  const d = new Date(now);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (period) {
    case 'day':
      return { start: midnight, end: midnight + DAY_MS };
    case 'week': {
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      const start = midnight - sinceMonday * DAY_MS;
      return { start, end: start + 7 * DAY_MS };
    }
    case 'month':
      return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
  }
}
