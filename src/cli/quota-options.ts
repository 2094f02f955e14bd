// The budget and rate-limit options that `keys create`, `keys quota` and `teams quota`/`teams budget` share:
// --budget-usd 5 --budget-period day --alert-at 0.8 --rpm 60 --tpm 20000 (teams budget takes --usd and --period).
import { QuotaSchema, type Quota } from '../config/cost-schema.ts';
import { compile } from '../validation/compile.ts';
import { UsageError } from './usage-error.ts';
import { alertAt, budgetPeriod } from '../quota/quota-plan.ts';

export const QUOTA_OPTIONS = {
  'budget-usd': { type: 'string' },
  usd: { type: 'string' },
  'budget-period': { type: 'string' },
  period: { type: 'string' },
  'alert-at': { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
} as const;

type QuotaValues = Partial<Record<keyof typeof QUOTA_OPTIONS, string | undefined>>;

const validateQuota = compile<Quota>(QuotaSchema);

const FIELD_OPTION: Readonly<Record<string, string>> = { budget_usd: '--budget-usd', period: '--budget-period', alert_at: '--alert-at', rpm: '--rpm', tpm: '--tpm' };

function number(option: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${option} takes a number, got "${text}"`);
  return value;
}

/** The quota the options describe, on top of `base` (what is set now); undefined when no option was given. */
export function quotaFromOptions(values: QuotaValues, base: Quota | null = null): Quota | undefined {
  const given: Record<string, unknown> = {};
  const usd = values['budget-usd'] ?? values.usd;
  if (usd !== undefined) given.budget_usd = number('budget-usd', usd);
  const period = values['budget-period'] ?? values.period;
  if (period !== undefined) given.period = period;
  if (values['alert-at'] !== undefined) given.alert_at = number('alert-at', values['alert-at']);
  if (values.rpm !== undefined) given.rpm = number('rpm', values.rpm);
  if (values.tpm !== undefined) given.tpm = number('tpm', values.tpm);
  if (Object.keys(given).length === 0) return undefined;
  const quota = { ...base, ...given };
  if (!validateQuota(quota)) {
    const problem = validateQuota.errors()[0]!;
    throw new UsageError(`${FIELD_OPTION[problem.path] ?? problem.path}: ${problem.message}`);
  }
  return quota;
}

/** A quota in one line, for the CLI's output. */
export function describeQuota(quota: Quota | null): string {
  if (quota === null) return 'no quota';
  const parts: string[] = [];
  if (quota.budget_usd !== undefined) parts.push(`$${quota.budget_usd} per ${budgetPeriod(quota)} (alert at ${Math.round(alertAt(quota) * 100)}%)`);
  if (quota.rpm !== undefined) parts.push(`${quota.rpm} requests/min`);
  if (quota.tpm !== undefined) parts.push(`${quota.tpm} tokens/min`);
  return parts.join(', ');
}
