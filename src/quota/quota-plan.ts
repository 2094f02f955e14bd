// Which counters a request is charged to, and how much it takes from each. Up to three subjects have a quota: the
// caller's key (its own quota, else the config's for that key, else the config's default_key), its team (the team's,
// else the config's for that team name) and the model (the config's, over every caller). Each may limit requests per
// minute, tokens per minute and spend per period.
//
// At admission a request takes: 1 request; its prompt tokens plus the max_tokens it names (what OpenAI's limiter
// counts too); and its worst-case cost in micro-USD (prompt at the dearest backend's input price, plus max_tokens, or
// the model's longest answer, at its output price). Settlement replaces the worst case with the real usage.
import type { BudgetPeriodName, Quota, Quotas } from '../config/cost-schema.ts';
import type { Principal } from '../auth/principal.ts';
import type { QuotaCharge } from '../stores/quota-store.ts';
import { periodBounds } from './budget-period.ts';

export type QuotaScope = 'key' | 'team' | 'model';
export type QuotaLimitKind = 'requests' | 'tokens' | 'budget';

export interface QuotaSubject {
  readonly scope: QuotaScope;
  /** The key id, team id or model name: part of the counter's name. */
  readonly id: string;
  /** How messages name it: the key's or team's name, the model. */
  readonly label: string;
  readonly quota: Quota;
}

/** A charge, with what it is for (messages, headers, metrics). */
export interface PlannedCharge extends QuotaCharge {
  readonly subject: QuotaSubject;
  readonly limitKind: QuotaLimitKind;
}

export const MINUTE_MS = 60_000;
/** Budgets are counted in micro-USD: integers add exactly, in Redis too. */
export const MICRO_USD = 1_000_000;
const DEFAULT_ALERT_AT = 0.8;

export function alertAt(quota: Quota): number {
  return quota.alert_at ?? DEFAULT_ALERT_AT;
}

/** The calendar period a budget is counted over (a month unless the quota says otherwise). */
export function budgetPeriod(quota: Quota): BudgetPeriodName {
  return quota.period ?? 'month';
}

/** A key's quota: its own, else the config's for that key id, else the config's default_key. */
export function keyQuota(own: Quota | null, keyId: string, quotas: Quotas): Quota | undefined {
  return own ?? quotas.keys[keyId] ?? quotas.default_key;
}

/** A team's quota: its own, else the config's for that team name. */
export function teamQuota(own: Quota | null, teamName: string | null, quotas: Quotas): Quota | undefined {
  return own ?? (teamName === null ? undefined : quotas.teams[teamName]);
}

// Subjects per config, caller and model: the same for every request of a caller until the config or the caller's
// record changes (a reload makes a new Quotas object, a key change a new Principal), so they are worked out once.
const subjectsMemo = new WeakMap<Quotas, WeakMap<Principal, Map<string, readonly QuotaSubject[]>>>();
const NONE: readonly QuotaSubject[] = [];

/** The subjects with a quota for this caller and model (none: the request is not limited, and costs nothing to admit). */
export function quotaSubjects(principal: Principal, model: string, quotas: Quotas): readonly QuotaSubject[] {
  let perCaller = subjectsMemo.get(quotas);
  if (perCaller === undefined) subjectsMemo.set(quotas, (perCaller = new WeakMap()));
  let perModel = perCaller.get(principal);
  if (perModel === undefined) perCaller.set(principal, (perModel = new Map()));
  let subjects = perModel.get(model);
  if (subjects === undefined) perModel.set(model, (subjects = subjectsOf(principal, model, quotas)));
  return subjects;
}

function subjectsOf(principal: Principal, model: string, quotas: Quotas): readonly QuotaSubject[] {
  const subjects: QuotaSubject[] = [];
  const ofKey = keyQuota(principal.keyQuota, principal.keyId, quotas);
  if (ofKey !== undefined && limits(ofKey)) subjects.push({ scope: 'key', id: principal.keyId, label: `key "${principal.name}"`, quota: ofKey });
  if (principal.teamId !== null) {
    const ofTeam = teamQuota(principal.teamQuota, principal.teamName, quotas);
    if (ofTeam !== undefined && limits(ofTeam)) subjects.push({ scope: 'team', id: principal.teamId, label: `team "${principal.teamName}"`, quota: ofTeam });
  }
  const modelQuota = quotas.models[model];
  if (modelQuota !== undefined && limits(modelQuota)) subjects.push({ scope: 'model', id: model, label: `model "${model}"`, quota: modelQuota });
  return subjects.length === 0 ? NONE : subjects;
}

function limits(quota: Quota): boolean {
  return quota.budget_usd !== undefined || quota.rpm !== undefined || quota.tpm !== undefined;
}

/** Whether any subject needs the prompt's tokens counted (a tokens-per-minute limit or a budget). */
export function needsTokenCount(subjects: readonly QuotaSubject[]): boolean {
  return subjects.some((s) => s.quota.tpm !== undefined || s.quota.budget_usd !== undefined);
}

export interface Reservation {
  /** Prompt tokens plus the max_tokens the request names. */
  readonly tokens: number;
  /** Worst-case cost, micro-USD (rounded up). */
  readonly microUsd: number;
}

export function planCharges(subjects: readonly QuotaSubject[], reservation: Reservation, now: number): PlannedCharge[] {
  const charges: PlannedCharge[] = [];
  for (const subject of subjects) {
    const { quota, scope, id } = subject;
    if (quota.rpm !== undefined) {
      charges.push({ subject, limitKind: 'requests', key: `rpm:${scope}:${id}`, window: { kind: 'sliding', ms: MINUTE_MS }, amount: 1, limit: quota.rpm });
    }
    if (quota.tpm !== undefined) {
      charges.push({ subject, limitKind: 'tokens', key: `tpm:${scope}:${id}`, window: { kind: 'sliding', ms: MINUTE_MS }, amount: reservation.tokens, limit: quota.tpm });
    }
    if (quota.budget_usd !== undefined) {
      const period = budgetPeriod(quota);
      const { start, end } = periodBounds(period, now);
      charges.push({
        subject,
        limitKind: 'budget',
        key: budgetCounterKey(scope, id, period),
        window: { kind: 'fixed', start, end },
        amount: reservation.microUsd,
        limit: Math.floor(quota.budget_usd * MICRO_USD),
      });
    }
  }
  return charges;
}

/** The counter of a budget: per period length, so changing a budget from a day to a month starts a separate count. */
export function budgetCounterKey(scope: QuotaScope, id: string, period: string): string {
  return `usd:${scope}:${id}:${period}`;
}
